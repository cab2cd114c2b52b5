import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../../config/src/index.js';
import { runMigrations } from '../migrate.js';
import type { MigrationList } from '../datasource-options.js';
import { parsePostgresUrl, quoteIdent, withDatabase } from '../postgres-url.js';
import { ensureRolesAndDatabase, lockDownDatabase } from '../setup.js';

/**
 * Test-run plumbing (compiled with the apps so that Jest's CommonJS global hooks can load it from dist/).
 * Names and URLs of one test run's databases. Every database of a run starts with `ecmo_t_<pid>_<stamp>`,
 * so the teardown drops exactly its own, and a later run can drop those of a run whose process is gone.
 */
export const TEST_DB_PREFIX = 'ecmo_t_';

export function baseConfig() {
  return loadConfig(process.env);
}

export function runDatabaseName(runId: string, suffix: string): string {
  return `${TEST_DB_PREFIX}${runId}_${suffix}`;
}

export function templateName(runId: string): string {
  return runDatabaseName(runId, 'tpl');
}

export function workerDatabaseName(runId: string, workerId: string | number): string {
  return runDatabaseName(runId, `w${workerId}`);
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseConfig().DATABASE_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabaseFrom(name: string, template: string | undefined): Promise<void> {
  const owner = parsePostgresUrl(baseConfig().DATABASE_MIGRATION_URL).user;
  await withAdmin((admin) =>
    admin.query(
      `CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(owner)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`,
    ),
  );
}

export async function dropDatabases(names: readonly string[]): Promise<void> {
  await withAdmin(async (admin) => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

export async function databasesOfRun(runIdPrefix: string): Promise<string[]> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`,
      [`${TEST_DB_PREFIX}${runIdPrefix}`],
    );
    return rows.map((r) => r.datname);
  });
}

/** URLs of the app and owner roles for one of this run's databases. */
export function urlsFor(database: string): { appUrl: string; ownerUrl: string; adminUrl: string } {
  const config = baseConfig();
  return {
    appUrl: withDatabase(config.DATABASE_URL, database),
    ownerUrl: withDatabase(config.DATABASE_MIGRATION_URL, database),
    adminUrl: withDatabase(config.DATABASE_ADMIN_URL, database),
  };
}

/** The Redis key prefix of a run: BullMQ keys of different runs never meet. */
export function runRedisPrefix(runId: string): string {
  return `ecmo-test-${runId}`;
}

/**
 * Once per e2e run: creates the roles if needed, migrates a template database once, and copies it for every
 * Jest worker, so test files start on a migrated database without running migrations again. Returns the run
 * id; the caller passes it (and the Redis prefix) to the workers through the environment. `migrations`:
 * migrations/index.ts's list, handed in (the database lib does not import the migrations).
 */
export async function prepareTestRun(workers: number, migrations: MigrationList): Promise<string> {
  await dropDatabasesOfDeadRuns();
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const config = baseConfig();
  const template = templateName(runId);
  const { ownerUrl, appUrl } = urlsFor(template);
  await ensureRolesAndDatabase({ adminUrl: config.DATABASE_ADMIN_URL, migrationUrl: ownerUrl, appUrl });
  await runMigrations(ownerUrl, migrations);
  const owner = parsePostgresUrl(config.DATABASE_MIGRATION_URL).user;
  for (let worker = 1; worker <= Math.max(1, workers); worker++) {
    const name = workerDatabaseName(runId, worker);
    await createDatabaseFrom(name, template);
    await lockDownDatabase(config.DATABASE_ADMIN_URL, name, owner);
  }
  return runId;
}

/** Drops every database of the run and deletes every Redis key under its prefix. */
export async function cleanupTestRun(runId: string): Promise<void> {
  await dropDatabases(await databasesOfRun(runId));
  await deleteRedisKeys(runRedisPrefix(runId));
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(baseConfig().REDIS_URL);
  try {
    // The run's own keys, and those of each Jest worker's prefix under it (`<prefix>-w<n>`).
    for (const pattern of [`${prefix}:*`, `${prefix}-w*:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}

/** Databases left by a run that crashed before its teardown (its process no longer exists). */
async function dropDatabasesOfDeadRuns(): Promise<void> {
  const stale = await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [TEST_DB_PREFIX],
    );
    return rows
      .map((r) => r.datname)
      .filter((name) => !isAlive(Number(name.slice(TEST_DB_PREFIX.length).split('_')[0])));
  });
  await dropDatabases(stale);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
