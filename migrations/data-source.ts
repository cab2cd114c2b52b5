import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../libs/config/src/index.js';
import { postgresOptions } from '../libs/database/src/index.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './index.js';

/**
 * The DataSource of the TypeORM CLI (`npm run migration:generate | migration:revert | migration:show`),
 * connected as the owner role. The apps use the same options through DatabaseModule.
 */
const config = loadConfigOrExit();

export default new DataSource(
  postgresOptions({
    url: config.DATABASE_MIGRATION_URL,
    applicationName: 'ecmo-typeorm-cli',
    entities: ENTITIES,
    migrations: MIGRATIONS,
  }),
);
