import { Global, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../config/src/index.js';
import { postgresOptions, type MigrationList } from './datasource-options.js';
import { assertLeastPrivilege, assertSchemaMigrated } from './schema-check.js';
import { TransactionService } from './transaction.service.js';

/** Refuses to boot on a database this build's migrations have not reached, or as a privileged role. */
class SchemaGuard implements OnApplicationBootstrap {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await assertSchemaMigrated(this.dataSource);
    await assertLeastPrivilege(this.dataSource);
  }
}

/**
 * The application's DataSource, connected as the least-privilege role of DATABASE_URL. Entities register
 * themselves with TypeOrmModule.forFeature in their own modules (autoLoadEntities).
 */
@Global()
@Module({})
export class DatabaseModule {
  /**
   * @param applicationName shown in pg_stat_activity, so an operator can tell the api from the worker.
   * @param options.migrations migrations/index.ts's list: the app refuses to start while one is not applied.
   * @param options.queryTimeout limit every query to DATABASE_QUERY_TIMEOUT_MS (the api's requests).
   */
  static forRoot(
    applicationName: string,
    options: { migrations: MigrationList; queryTimeout?: boolean },
  ): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...postgresOptions({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName,
              connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
              migrations: options.migrations,
              ...(options.queryTimeout ? { queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS } : {}),
            }),
            autoLoadEntities: true,
            // Fail fast at boot; later outages show on the readiness probe while the pool reconnects by itself.
            retryAttempts: 0,
          }),
        }),
      ],
      providers: [TransactionService, SchemaGuard],
      exports: [TransactionService],
    };
  }
}
