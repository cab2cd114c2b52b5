import 'reflect-metadata';
import { environmentTable, loadConfigOrExit } from '../../../libs/config/src/index.js';
import { canAdminister, ensureRolesAndDatabase, runMigrations } from '../../../libs/database/src/index.js';

/**
 * One-shot commands: `setup` (roles, database, migrations; what `npm start` runs first), `migrate`
 * (migrations only, as the owner role, under an advisory lock), `config-docs` (the README's table).
 */
const commands: Record<string, () => Promise<void>> = {
  async setup() {
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
  },
  async migrate() {
    const config = loadConfigOrExit();
    const applied = await runMigrations(config.DATABASE_MIGRATION_URL, log);
    log(applied.length === 0 ? 'database schema is up to date' : `applied ${applied.length} migration(s)`);
  },
  'config-docs'() {
    console.log(environmentTable());
    return Promise.resolve();
  },
};

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
  console.error(`[cli] ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
