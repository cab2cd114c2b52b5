import 'reflect-metadata';
import { urlsFor, workerDatabaseName } from '../../libs/database/src/testing/test-databases.js';

// Each Jest worker uses its own copy of the migrated template; the run's Redis prefix came from global setup.
const runId = process.env.TEST_RUN_ID;
if (!runId) throw new Error('TEST_RUN_ID is not set: run the e2e tests through Jest with its global setup');
const database = workerDatabaseName(runId, process.env.JEST_WORKER_ID ?? '1');
const { appUrl, ownerUrl } = urlsFor(database);
process.env.DATABASE_URL = appUrl;
process.env.DATABASE_MIGRATION_URL = ownerUrl;
process.env.TEST_DATABASE = database;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.NODE_ENV = 'test';
