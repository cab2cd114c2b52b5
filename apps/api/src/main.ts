import 'reflect-metadata';
import { loadConfigOrExit } from '../../../libs/config/src/index.js';
import { StartupRefusal } from '../../../libs/database/src/index.js';
import { createApi, DOCS_JSON_PATH, DOCS_PATH } from './bootstrap.js';
import { errorMessage } from '../../../libs/observability/src/index.js';

const config = loadConfigOrExit();
try {
  const app = await createApi(config, { shutdownHooks: true });
  await app.listen({ port: config.PORT, host: config.HOST });
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
  const docs = config.API_DOCS_ENABLED
    ? ` API docs: ${base}/${DOCS_PATH} (JSON: ${base}/${DOCS_JSON_PATH}).`
    : '';
  console.log(`ECMO registry api listening on ${base}.${docs} Health: ${base}/health/ready`);
} catch (error) {
  console.error(`api failed to start: ${errorMessage(error)}`);
  if (!(error instanceof StartupRefusal)) console.error(error);
  process.exit(1);
}
