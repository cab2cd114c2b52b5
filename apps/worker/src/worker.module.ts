import { Module, type DynamicModule } from '@nestjs/common';
import { MIGRATIONS } from '../../../migrations/index.js';
import { jobSchedules } from './schedules.js';
import { AccessModule } from '../../../libs/access/src/index.js';
import { AuditModule } from '../../../libs/audit/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { FollowUpWorkerModule } from '../../../libs/followup/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { ExportsWorkerModule } from '../../../libs/exports/src/index.js';
import { MessagingModule } from '../../../libs/messaging/src/index.js';
import { HealthModule, MetricsModule, structuredLogging } from '../../../libs/observability/src/index.js';
import { QueueMetrics, QueueModule, RedisHealthIndicator } from '../../../libs/queue/src/index.js';

/**
 * The worker: job processors, job schedulers and the outbox relay. Its HTTP server serves only
 * /health and /metrics. It never runs migrations; it refuses to start on an unmigrated database.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        structuredLogging('worker'),
        DatabaseModule.forRoot('ecmo-worker', { migrations: MIGRATIONS }),
        QueueModule.forWorker(jobSchedules),
        AccessModule.denyAll(),
        AuditModule,
        MessagingModule,
        FollowUpWorkerModule,
        ExportsWorkerModule,
        HealthModule.forRoot([RedisHealthIndicator]),
        MetricsModule.forRoot([QueueMetrics]),
      ],
    };
  }
}
