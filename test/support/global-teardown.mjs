import { cleanupTestRun } from '../../dist/libs/database/src/testing/test-databases.js';

export default async function globalTeardown() {
  if (process.env.TEST_RUN_ID && !process.env.KEEP_TEST_DATABASES)
    await cleanupTestRun(process.env.TEST_RUN_ID);
}
