import { Module, type DynamicModule } from '@nestjs/common';
import { MIGRATIONS } from '../../../migrations/index.js';
import { AccessModule } from '../../../libs/access/src/index.js';
import { AuditModule } from '../../../libs/audit/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { FollowUpModule } from '../../../libs/followup/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { ExportsModule } from '../../../libs/exports/src/index.js';
import { HealthModule, MetricsModule, structuredLogging } from '../../../libs/observability/src/index.js';
import { QueueMetrics, QueueModule, RedisHealthIndicator } from '../../../libs/queue/src/index.js';
import { RegistryModule } from '../../../libs/registry/src/index.js';
import { QueueDashboardController } from './queue-dashboard/queue-dashboard.controller.js';

/** The HTTP api: controllers and guards composing the libs. It enqueues jobs but never processes them. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        structuredLogging('api'),
        DatabaseModule.forRoot('ecmo-api', { migrations: MIGRATIONS, queryTimeout: true }),
        QueueModule.forProducer(),
        AccessModule.forApi(),
        AuditModule,
        RegistryModule,
        FollowUpModule,
        ExportsModule,
        HealthModule.forRoot([RedisHealthIndicator]),
        MetricsModule.forRoot([QueueMetrics]),
      ],
      controllers: [QueueDashboardController],
    };
  }
}
