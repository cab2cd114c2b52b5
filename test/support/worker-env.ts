import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { urlsFor, workerDatabaseName } from '../../libs/database/src/testing/test-databases.js';

// Each Jest worker uses its own copy of the migrated template; the run's Redis prefix came from global setup.
const runId = process.env.TEST_RUN_ID;
if (!runId) throw new Error('TEST_RUN_ID is not set: run the e2e tests through Jest with its global setup');
const database = workerDatabaseName(runId, process.env.JEST_WORKER_ID ?? '1');
const { appUrl, ownerUrl } = urlsFor(database);
process.env.DATABASE_URL = appUrl;
process.env.DATABASE_MIGRATION_URL = ownerUrl;
process.env.TEST_DATABASE = database;
// And its own Redis prefix under the run's: a job queued by one Jest worker names rows of its database only,
// so another Jest worker's in-process worker must never take it.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX ?? 'ecmo-test'}-w${process.env.JEST_WORKER_ID ?? '1'}`;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.NODE_ENV = 'test';
// A scheduled digest would e-mail every site of this worker's shared database through whichever provider a
// test file set up (a fake Notify that kills its worker on the first message, say): the digest test runs it.
process.env.NURSE_DIGEST_ENABLED = 'false';
// Secrets with no default (production sets them; `setup` writes them to .env on a developer's machine).
process.env.JWT_SECRET = randomBytes(32).toString('base64url');
process.env.MFA_ENCRYPTION_KEY = randomBytes(32).toString('base64url');
process.env.WEB_SESSION_SECRET = randomBytes(32).toString('base64url');
// Identity keys are the same for every test file of a run: the files of one Jest worker share its database,
// whose patients' data keys must stay openable (key rotation re-wraps all of them).
const runSecret = (purpose: string): string =>
  createHash('sha256').update(`${runId}:${purpose}`).digest('base64url');
process.env.IDENTITY_MASTER_KEYS = `test1:${runSecret('identity master key')}`;
process.env.IDENTITY_LOOKUP_KEY = runSecret('identity lookup key');
process.env.EXPORT_PSEUDONYM_KEY = runSecret('export pseudonym key');
// Every in-process request comes from 127.0.0.1 and test files share the run's Redis prefix: limits high
// enough that they never trip by accident; the rate-limit tests set low ones and their own client addresses.
process.env.API_RATE_PER_ADDRESS = '100000';
process.env.LOGIN_RATE_PER_ADDRESS = '10000';
process.env.LOGIN_RATE_PER_ACCOUNT = '1000';
