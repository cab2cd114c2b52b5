import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../../../libs/config/src/index.js';
import { createHttpApp, initOrClose, type HttpAppOptions } from '../../../libs/observability/src/index.js';
import { WorkerModule } from './worker.module.js';

/** Builds the worker (processing jobs once initialised; its HTTP server not yet listening). */
export async function createWorker(
  config: AppConfig,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(WorkerModule.forRoot(config), config, options);
  await initOrClose(app);
  return app;
}
