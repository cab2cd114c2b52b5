import 'reflect-metadata';
import { loadConfigOrExit } from '../../../libs/config/src/index.js';
import { StartupRefusal } from '../../../libs/database/src/index.js';
import { errorMessage } from '../../../libs/observability/src/index.js';
import { createWeb } from './bootstrap.js';

const config = loadConfigOrExit();
try {
  const app = await createWeb(config, { shutdownHooks: true });
  await app.listen({ port: config.WEB_PORT, host: config.HOST });
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.WEB_PORT}`;
  console.log(`ECMO registry web application listening on ${base} (sign in at ${base}/sign-in).`);
} catch (error) {
  console.error(`web failed to start: ${errorMessage(error)}`);
  if (!(error instanceof StartupRefusal)) console.error(error);
  process.exit(1);
}
