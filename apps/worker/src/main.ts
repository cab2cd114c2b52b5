import 'reflect-metadata';
import { loadConfigOrExit } from '../../../libs/config/src/index.js';
import { StartupRefusal } from '../../../libs/database/src/index.js';
import { createWorker } from './bootstrap.js';
import { errorMessage } from '../../../libs/observability/src/index.js';

const config = loadConfigOrExit();
try {
  const app = await createWorker(config, { shutdownHooks: true });
  await app.listen({ port: config.WORKER_PORT, host: config.HOST });
  console.log(
    `ECMO registry worker running; health: http://${config.HOST}:${config.WORKER_PORT}/health/ready`,
  );
} catch (error) {
  console.error(`worker failed to start: ${errorMessage(error)}`);
  if (!(error instanceof StartupRefusal)) console.error(error);
  process.exit(1);
}
