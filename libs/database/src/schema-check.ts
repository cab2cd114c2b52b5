import type { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from './roles.js';

/** A start the process refuses on purpose: its message says what to do, no stack trace needed. */
export class StartupRefusal extends Error {}

export class SchemaNotMigratedError extends StartupRefusal {
  constructor(readonly pending: readonly string[]) {
    super(
      `The database is not migrated: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
        'Run `npm run migration:run` (or `docker compose run --rm migrate`) first.',
    );
    this.name = 'SchemaNotMigratedError';
  }
}

/**
 * Names of the migrations this build knows (those the DataSource was given: see `postgresOptions`) that the
 * database has not applied.
 */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const given = dataSource.options.migrations;
  const known = (Array.isArray(given) ? given : Object.values(given ?? {})).map((m) =>
    typeof m === 'string' ? m : m.name,
  );
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

export class UnsafeDatabaseRoleError extends StartupRefusal {
  constructor(reason: string) {
    super(
      `DATABASE_URL must name the least-privilege application role, but ${reason}. ` +
        'Use the role that `npm run db:setup` creates (ecmo_app), never the owner or a superuser.',
    );
    this.name = 'UnsafeDatabaseRoleError';
  }
}

/**
 * Refuses to run the apps as a role that could rewrite history: a superuser, or any role allowed to UPDATE
 * the audit trail or to create tables (the owner). Otherwise the audit trail's protection means nothing.
 */
export async function assertLeastPrivilege(dataSource: DataSource): Promise<void> {
  const [role] = await dataSource.query<
    Array<{ superuser: boolean; can_update_audit: boolean; can_create: boolean }>
  >(
    `SELECT r.rolsuper AS superuser,
            has_table_privilege('public.audit_event', 'UPDATE') AS can_update_audit,
            has_schema_privilege('public', 'CREATE') AS can_create
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  if (role?.superuser) throw new UnsafeDatabaseRoleError('it connects as a superuser');
  if (role?.can_update_audit) throw new UnsafeDatabaseRoleError('its role may UPDATE the audit trail');
  if (role?.can_create) throw new UnsafeDatabaseRoleError('its role may create tables');
}
