import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, READINESS_INDICATORS, type ReadinessIndicator } from './health.controller.js';

/**
 * Liveness and readiness. PostgreSQL is always checked; `indicators` are the process's other dependencies
 * (Redis: the queue lib's RedisHealthIndicator), handed in by the app that composes them.
 */
@Module({})
export class HealthModule {
  static forRoot(indicators: readonly Type<ReadinessIndicator>[]): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        ...indicators,
        {
          provide: READINESS_INDICATORS,
          inject: [...indicators],
          useFactory: (...found: ReadinessIndicator[]) => found,
        },
      ],
    };
  }
}
