import pg from 'pg';
import { APP_GROUP_ROLE } from './roles.js';
import { parsePostgresUrl, quoteIdent, quoteLiteral } from './postgres-url.js';

export interface SetupUrls {
  /** Superuser (or CREATEROLE + CREATEDB) connection. */
  readonly adminUrl: string;
  /** Owner role and database: migrations run as this role. */
  readonly migrationUrl: string;
  /** Least-privilege application role. */
  readonly appUrl: string;
}

export type Log = (line: string) => void;

/**
 * Creates, idempotently, the owner role, the application login role, the group role the migrations grant to,
 * and the database owned by the owner role. Run by `setup` (npm start) and by the tests, never by the apps.
 * Passwords come from the URLs; where a URL has none (trust or peer authentication), the role gets none.
 */
export async function ensureRolesAndDatabase(urls: SetupUrls, log: Log = () => {}): Promise<void> {
  const owner = parsePostgresUrl(urls.migrationUrl);
  const app = parsePostgresUrl(urls.appUrl);
  if (owner.user === app.user) {
    throw new Error('DATABASE_URL and DATABASE_MIGRATION_URL must use different roles (least privilege)');
  }
  if (owner.database !== app.database) {
    throw new Error('DATABASE_URL and DATABASE_MIGRATION_URL must name the same database');
  }
  const admin = new pg.Client({ connectionString: urls.adminUrl });
  await admin.connect();
  try {
    await ensureRole(admin, APP_GROUP_ROLE, { login: false }, log);
    await ensureRole(admin, owner.user, { login: true, password: owner.password }, log);
    await ensureRole(admin, app.user, { login: true, password: app.password }, log);
    await admin.query(`GRANT ${quoteIdent(APP_GROUP_ROLE)} TO ${quoteIdent(app.user)}`);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [owner.database]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdent(owner.database)} OWNER ${quoteIdent(owner.user)}`);
      log(`created database ${owner.database}`);
    }
    await lockDownDatabase(urls.adminUrl, owner.database, owner.user);
  } finally {
    await admin.end();
  }
}

async function ensureRole(
  client: pg.Client,
  name: string,
  options: { login: boolean; password?: string },
  log: Log,
): Promise<void> {
  const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  const attributes = [
    options.login ? 'LOGIN' : 'NOLOGIN',
    'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
    options.password === undefined ? '' : `PASSWORD ${quoteLiteral(options.password)}`,
  ].join(' ');
  if (found.rowCount === 0) {
    await client.query(`CREATE ROLE ${quoteIdent(name)} ${attributes}`);
    log(`created role ${name}`);
  } else {
    await client.query(`ALTER ROLE ${quoteIdent(name)} ${attributes}`);
  }
}

/** The owner owns the schema; nobody else may create objects in it. */
export async function lockDownDatabase(adminUrl: string, database: string, ownerRole: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(ownerRole)}`);
    await client.query(`ALTER SCHEMA public OWNER TO ${quoteIdent(ownerRole)}`);
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await client.query(`REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
    // No TEMPORARY: a temporary table could shadow a real one on the application's search path.
    await client.query(
      `REVOKE TEMPORARY ON DATABASE ${quoteIdent(database)} FROM ${quoteIdent(APP_GROUP_ROLE)}`,
    );
    await client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(APP_GROUP_ROLE)}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${quoteIdent(APP_GROUP_ROLE)}`);
  } finally {
    await client.end();
  }
}

/** True when the URL reaches a server as a role that may create roles and databases. */
export async function canAdminister(adminUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT (rolsuper OR (rolcreaterole AND rolcreatedb)) AS ok FROM pg_roles WHERE rolname = current_user',
    );
    return rows[0]?.ok === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
