import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { Metrics, METRICS_COLLECTORS, type MetricsCollector } from './metrics.js';

/**
 * The process's metrics at /metrics. `collectors`: what other libs add (the queue lib's QueueMetrics), handed
 * in by the app that composes them.
 */
@Module({})
export class MetricsModule {
  static forRoot(collectors: readonly Type<MetricsCollector>[]): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        ...collectors,
        {
          provide: METRICS_COLLECTORS,
          inject: [...collectors],
          useFactory: (...found: MetricsCollector[]) => found,
        },
        Metrics,
      ],
      exports: [Metrics],
    };
  }
}
