import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MIGRATIONS } from '../../../migrations/index.js';
import { AccessModule } from '../../../libs/access/src/index.js';
import { AuditModule } from '../../../libs/audit/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { FollowUpServicesModule } from '../../../libs/followup/src/index.js';
import { HealthModule, MetricsModule, structuredLogging } from '../../../libs/observability/src/index.js';
import { QueueModule, RedisHealthIndicator } from '../../../libs/queue/src/index.js';
import { RegistryServicesModule } from '../../../libs/registry/src/index.js';
import { EnrolController } from './enrol.controller.js';
import { HomeController } from './home.controller.js';
import { PatientsPagesController } from './patients.controller.js';
import { RecordsController } from './records.controller.js';
import { CsrfGuard, CsrfTokens, Pages } from './pages.js';
import { SignInController } from './sign-in.controller.js';

/**
 * The web application (issue 26): server-rendered pages composing the same libs as the api, in-process, with
 * the same services, transactions, audit context, site scope, rate limits and access guard. Its callers
 * authenticate with a web session instead of a bearer token, and every form post carries a CSRF token.
 */
@Module({})
export class WebModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WebModule,
      imports: [
        ConfigModule.forRoot(config),
        structuredLogging('web'),
        DatabaseModule.forRoot('ecmo-web', { migrations: MIGRATIONS, queryTimeout: true }),
        QueueModule.forProducer(),
        AccessModule.forWeb(),
        AuditModule,
        RegistryServicesModule,
        FollowUpServicesModule,
        HealthModule.forRoot([RedisHealthIndicator]),
        MetricsModule.forRoot([]),
      ],
      controllers: [
        SignInController,
        HomeController,
        PatientsPagesController,
        EnrolController,
        RecordsController,
      ],
      providers: [CsrfTokens, Pages, { provide: APP_GUARD, useClass: CsrfGuard }],
    };
  }
}
