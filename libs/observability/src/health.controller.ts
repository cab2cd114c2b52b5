import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Operational } from '../../access/src/public.decorator.js';
import { RedisHealthIndicator } from './redis.health.js';

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
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([this.db.pingCheck('database').withTimeout(1500), this.redis.ping()]);
  }
}
