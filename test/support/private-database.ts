import { parsePostgresUrl } from '../../libs/database/src/postgres-url.js';
import { lockDownDatabase } from '../../libs/database/src/setup.js';
import {
  createDatabaseFrom,
  dropDatabases,
  runDatabaseName,
  templateName,
  urlsFor,
} from '../../libs/database/src/testing/test-databases.js';
import { testConfig } from './apps.js';

/**
 * A database of a test file's own, copied from the run's migrated template, for a file whose data would
 * weigh on the files after it in the Jest worker's shared database (thousands of patients, generated junk)
 * or that needs exact counts. Everything the file starts after this (apps, raw connections, the CLI's
 * processes) uses it, until `release` drops it and points the environment back. `empty`: a database with
 * nothing in it (owned by the owner role, not locked down yet), to restore a dump into.
 */
export async function usePrivateDatabase(
  label: string,
  options: { empty?: boolean } = {},
): Promise<{ name: string; ownerUrl: string; release(): Promise<void> }> {
  const runId = process.env.TEST_RUN_ID!;
  const name = runDatabaseName(runId, `${label}${process.env.JEST_WORKER_ID ?? '1'}`);
  const saved = { url: process.env.DATABASE_URL, owner: process.env.DATABASE_MIGRATION_URL };
  const { appUrl, ownerUrl } = urlsFor(name);
  if (options.empty) {
    await createDatabaseFrom(name, undefined);
  } else {
    await createDatabaseFrom(name, templateName(runId));
    await lockDownDatabase(testConfig().DATABASE_ADMIN_URL, name, parsePostgresUrl(ownerUrl).user);
  }
  process.env.DATABASE_URL = appUrl;
  process.env.DATABASE_MIGRATION_URL = ownerUrl;
  return {
    name,
    ownerUrl,
    async release() {
      process.env.DATABASE_URL = saved.url;
      process.env.DATABASE_MIGRATION_URL = saved.owner;
      await dropDatabases([name]);
    },
  };
}
