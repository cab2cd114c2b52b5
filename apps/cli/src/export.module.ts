import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { DatabaseModule } from '../../../libs/database/src/index.js';
import { ExportGenerator, ExportStorage } from '../../../libs/exports/src/index.js';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * What `export` runs in: an application context (no HTTP server, no Redis) with the export generator on the
 * application role's connection, which refuses an unmigrated database as the worker does.
 */
@Module({})
export class ExportCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ExportCliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot('ecmo-cli-export', { migrations: MIGRATIONS }),
      ],
      providers: [ExportStorage, ExportGenerator],
    };
  }
}
