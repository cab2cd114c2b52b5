import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckAttempt,
} from '@nestjs/terminus';
import { Operational } from './public.decorator.js';

/** A dependency besides PostgreSQL without which the process cannot serve (Redis, say). */
export interface ReadinessIndicator {
  ping(): HealthCheckAttempt;
}

export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');

/**
 * Liveness says the process runs (a restart would not help otherwise); readiness says it can serve: database
 * and Redis answer. Readiness answers 503 while a dependency is down and 200 again when it is back.
 */
@ApiTags('operations')
@Operational()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    @Inject(READINESS_INDICATORS) private readonly indicators: readonly ReadinessIndicator[],
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis are reachable' })
  ready() {
    return this.health.check([
      this.db.pingCheck('database').withTimeout(1500),
      ...this.indicators.map((indicator) => indicator.ping()),
    ]);
  }
}
