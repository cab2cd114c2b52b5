import fastifyCookie from '@fastify/cookie';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { AppConfig } from '../../../libs/config/src/index.js';
import { createHttpApp, initOrClose, type HttpAppOptions } from '../../../libs/observability/src/index.js';
import { Authenticator } from '../../../libs/access/src/index.js';
import { mountQueueDashboard, QueueService } from '../../../libs/queue/src/index.js';
import { ApiModule } from './api.module.js';
import { DASHBOARD_PATH, dashboardGuard } from './queue-dashboard/queue-dashboard.controller.js';

export const DOCS_PATH = 'api/docs';
export const DOCS_JSON_PATH = 'api/docs-json';

/** Builds the api application (not yet listening): used by main.ts and by the end-to-end tests. */
export async function createApi(config: AppConfig, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const app = await createHttpApp(ApiModule.forRoot(config), config, options);
  // Helmet's security headers on every answer. Built once: @fastify/helmet built helmet's middleware (and
  // parsed its CSP) anew for every request, 2% of a patient summary's CPU (issue 7's profiles).
  const securityHeaders = helmet({
    // Swagger UI loads its own script and styles from this origin; nothing else is served as a page.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
      },
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) =>
      securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)),
    );
  await app.register(fastifyCookie);
  await mountQueueDashboard(app.getHttpAdapter().getInstance(), app.get(QueueService).allQueues(), {
    basePath: DASHBOARD_PATH,
    title: 'ECMO registry queues',
    guard: dashboardGuard(app.get(Authenticator)),
    links: [{ text: 'Sign out', url: `${DASHBOARD_PATH}/sign-out` }],
  });
  if (config.API_DOCS_ENABLED) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('VA-ECMO postcardiotomy follow-up registry')
        .setDescription(
          'Enrolment, consent, ECMO runs, complications, follow-up and audit exports for VA ECMO in ' +
            'postcardiotomy cardiogenic shock (NICE evidence generation). Errors are RFC 9457 problem details.',
        )
        .setVersion(config.APP_VERSION)
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: DOCS_JSON_PATH });
  }
  await initOrClose(app);
  return app;
}
