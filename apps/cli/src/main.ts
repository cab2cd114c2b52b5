import 'reflect-metadata';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ACCESS_ENTITIES, createAdministrator } from '../../../libs/access/src/index.js';
import {
  ensureDevelopmentSecrets,
  environmentTable,
  loadConfigOrExit,
  loadDotEnv,
} from '../../../libs/config/src/index.js';
import { REGISTRY_ENTITIES, rotateIdentityKeys } from '../../../libs/registry/src/index.js';
import { syntheticCohortCommand } from './synthetic-cohort.js';
import { exportCommand } from './export.js';
import {
  canAdminister,
  ensureRolesAndDatabase,
  postgresOptions,
  runMigrations,
} from '../../../libs/database/src/index.js';
import { errorMessage } from '../../../libs/observability/src/index.js';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * One-shot commands: `setup` (development secrets, roles, database, migrations; what `npm start` runs
 * first), `migrate` (migrations only, as the owner role, under an advisory lock), `create-admin` (an
 * administrator and their one-time password token), `rotate-identity-keys` (re-wrap every patient's data key
 * with the current master key), `synthetic-cohort` (demonstration data), `export` (an audit export with a
 * progress bar), `config-docs` (the README's table).
 */
const commands: Record<string, () => Promise<void>> = {
  async setup() {
    // .env first: NODE_ENV may be set there, and a production .env never gets development secrets.
    loadDotEnv();
    const written = ensureDevelopmentSecrets();
    if (written.length > 0) log(`wrote random ${written.join(' and ')} to .env (development machine)`);
    const config = loadConfigOrExit();
    if (await canAdminister(config.DATABASE_ADMIN_URL)) {
      await ensureRolesAndDatabase(
        {
          adminUrl: config.DATABASE_ADMIN_URL,
          migrationUrl: config.DATABASE_MIGRATION_URL,
          appUrl: config.DATABASE_URL,
        },
        log,
      );
      log('roles and database are in place');
    } else {
      log(
        'no superuser access through DATABASE_ADMIN_URL: assuming the roles and the database already exist',
      );
    }
    await commands.migrate();
    if (!(await hasActiveAdministrator(config.DATABASE_MIGRATION_URL))) {
      log('no administrator yet: create the first one (it prints a one-time token to set the password) with');
      log('  npm run create-admin -- --email <address> --name "<full name>"');
    }
  },
  async migrate() {
    const config = loadConfigOrExit();
    const applied = await runMigrations(config.DATABASE_MIGRATION_URL, MIGRATIONS, log);
    log(applied.length === 0 ? 'database schema is up to date' : `applied ${applied.length} migration(s)`);
  },
  async 'create-admin'() {
    const { values } = parseArgs({
      args: process.argv.slice(3),
      options: { email: { type: 'string' }, name: { type: 'string' } },
      strict: true,
    });
    if (!values.email || !values.name) {
      throw new Error('usage: create-admin --email <address> --name "<full name>"');
    }
    const config = loadConfigOrExit();
    const dataSource = new DataSource(
      postgresOptions({
        url: config.DATABASE_URL,
        applicationName: 'ecmo-cli',
        poolSize: 1,
        entities: ACCESS_ENTITIES,
      }),
    );
    await dataSource.initialize();
    try {
      const { userId, passwordSetup } = await createAdministrator(dataSource, {
        email: values.email,
        displayName: values.name,
        ttlSeconds: config.PASSWORD_RESET_TTL_SECONDS,
        operator: userInfo().username,
      });
      log(`administrator ${values.email} created (id ${userId})`);
      log(
        `one-time password token, valid until ${passwordSetup.expiresAt}; give it to them, it is not shown again:`,
      );
      console.log(passwordSetup.token);
      log(
        'they set a password with POST /auth/password/reset {"token": "...", "newPassword": "..."}, then sign in',
      );
    } finally {
      await dataSource.destroy();
    }
  },
  async 'rotate-identity-keys'() {
    const config = loadConfigOrExit();
    const dataSource = new DataSource(
      postgresOptions({
        url: config.DATABASE_URL,
        applicationName: 'ecmo-cli',
        poolSize: 1,
        entities: REGISTRY_ENTITIES,
      }),
    );
    await dataSource.initialize();
    try {
      const { rotated, currentKeyId } = await rotateIdentityKeys(
        dataSource,
        config,
        `cli:${userInfo().username}`,
      );
      log(`re-wrapped ${rotated} patient data key(s) with master key ${currentKeyId}`);
      log('every data key is now wrapped by it: older master keys may be removed from IDENTITY_MASTER_KEYS');
    } finally {
      await dataSource.destroy();
    }
  },
  // synthetic-cohort --patients N --sites M --seed S [--offset K]: demonstration data, refused in production.
  'synthetic-cohort'() {
    return syntheticCohortCommand(process.argv.slice(3), log);
  },
  // export --profile internal|external_audit|publication --cut-off YYYY-MM-DD: an audit export made in this process.
  export() {
    return exportCommand(process.argv.slice(3), log);
  },
  'config-docs'() {
    console.log(environmentTable());
    return Promise.resolve();
  },
};

/** Whether the registry has an administrator who can sign in (read as the owner role, before the apps run). */
async function hasActiveAdministrator(ownerUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM app_user WHERE role = 'admin' AND disabled_at IS NULL) AS found`,
    );
    return rows[0]?.found === true;
  } finally {
    await client.end();
  }
}

function log(line: string): void {
  console.log(`[cli] ${line}`);
}

const name = process.argv[2] ?? '';
const command = commands[name];
if (!command) {
  console.error(`usage: cli <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  await command();
} catch (error) {
  console.error(`[cli] ${name} failed: ${errorMessage(error)}`);
  process.exit(1);
}
