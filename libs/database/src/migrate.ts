import pg from 'pg';
import { DataSource } from 'typeorm';
import { postgresOptions, type MigrationList } from './datasource-options.js';
import { MIGRATION_LOCK_KEY } from './roles.js';

/**
 * Applies pending migrations as the owner role, once per deploy: a session-level advisory lock makes a
 * second `migrate` (another container, a second `npm start`) wait and then find nothing left to do.
 * Returns the names of the migrations this call applied.
 */
export async function runMigrations(
  migrationUrl: string,
  migrations: MigrationList,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const lock = new pg.Client({ connectionString: migrationUrl, application_name: 'ecmo-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const dataSource = new DataSource(
      postgresOptions({ url: migrationUrl, applicationName: 'ecmo-migrate', poolSize: 1, migrations }),
    );
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const migration of applied) log(`applied migration ${migration.name}`);
      return applied.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
