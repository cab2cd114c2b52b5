import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ACCESS_ENTITIES, IdentifierReadLog, SitesService } from '../../../libs/access/src/index.js';
import { AuditModule } from '../../../libs/audit/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { FollowUpModule } from '../../../libs/followup/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { RegistryModule } from '../../../libs/registry/src/index.js';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * The part of access the registry's services use, without the api's sign-in, guards and Redis-backed rate
 * limits (AccessModule.forApi() would connect to Redis, which loading data does not need): the sites
 * service, and the identifier-read log the patients service writes to.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(ACCESS_ENTITIES)],
  providers: [SitesService, IdentifierReadLog],
  exports: [SitesService, IdentifierReadLog],
})
class CohortAccessModule {}

/**
 * What `synthetic-cohort` runs in: an application context (no HTTP server) with the registry's services on
 * the application role's connection, which refuses an unmigrated database as the api does.
 */
@Module({})
export class SyntheticCohortModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SyntheticCohortModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot('ecmo-cli-synthetic-cohort', { migrations: MIGRATIONS }),
        AuditModule,
        CohortAccessModule,
        RegistryModule,
        FollowUpModule,
      ],
    };
  }
}
