// Jest loads global hooks through CommonJS require, which cannot resolve the sources' `.js` imports of `.ts`
// files; the hooks therefore use the compiled code (`npm run test:e2e` builds first).
import { prepareTestRun, runRedisPrefix } from '../../dist/libs/database/src/testing/test-databases.js';
import { MIGRATIONS } from '../../dist/migrations/index.js';

export default async function globalSetup(globalConfig) {
  const runId = await prepareTestRun(globalConfig.maxWorkers, MIGRATIONS);
  process.env.TEST_RUN_ID = runId;
  process.env.REDIS_PREFIX = runRedisPrefix(runId);
}
