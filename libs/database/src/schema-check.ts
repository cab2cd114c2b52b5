import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations/index.js';
import { MIGRATIONS_TABLE } from './roles.js';

export class SchemaNotMigratedError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `The database is not migrated: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
        'Run `npm run migration:run` (or `docker compose run --rm migrate`) first.',
    );
    this.name = 'SchemaNotMigratedError';
  }
}

/** Names of the migrations this build knows that the database has not applied. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const known = MIGRATIONS.map((m) => m.name);
  const rows = await dataSource.query<Array<{ present: boolean }>>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [MIGRATIONS_TABLE],
  );
  if (!rows[0]?.present) return known;
  const applied = await dataSource.query<Array<{ name: string }>>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const appliedNames = new Set(applied.map((r) => r.name));
  return known.filter((name) => !appliedNames.has(name));
}

/** Refuses to let an app start against a database this build's migrations have not reached. */
export async function assertSchemaMigrated(dataSource: DataSource): Promise<void> {
  const pending = await pendingMigrations(dataSource);
  if (pending.length > 0) throw new SchemaNotMigratedError(pending);
}
