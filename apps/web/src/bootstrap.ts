import { resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import nunjucks from 'nunjucks';
import type { AppConfig } from '../../../libs/config/src/index.js';
import { deriveKey } from '../../../libs/crypto/src/index.js';
import { ValueSets } from '../../../libs/registry/src/index.js';
import { createHttpApp, initOrClose, type HttpAppOptions } from '../../../libs/observability/src/index.js';
import { addFilters } from './filters.js';
import { ErrorPages, NHSUK_TEMPLATES, Pages, WEB_DIST } from './pages.js';
import { WebModule } from './web.module.js';

const YEAR_SECONDS = 365 * 24 * 3600;

/** Builds the web application (not yet listening): used by main.ts and by the tests. */
export async function createWeb(config: AppConfig, options: HttpAppOptions): Promise<NestFastifyApplication> {
  if (!config.WEB_SESSION_SECRET) {
    throw new Error('WEB_SESSION_SECRET must be set (run `npm run db:setup` on a development machine)');
  }
  const app = await createHttpApp(WebModule.forRoot(config), config, options, {
    errors: (created) => new ErrorPages(created.get(Pages), config),
  });
  const fastify = app.getHttpAdapter().getInstance();
  const values = app.get(ValueSets);
  // A strict policy: scripts, styles, images and forms from this origin only, no inline script or style
  // attribute, no framing. nhsuk-frontend's own script starts from our file (assets/application.js).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(config.NODE_ENV === 'production' ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: config.NODE_ENV === 'production',
  });
  fastify.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)),
  );
  await app.register(fastifyCookie, {
    secret: deriveKey(config.WEB_SESSION_SECRET, 'ecmo-registry web cookies'),
  });
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [resolve(WEB_DIST, 'views'), resolve(NHSUK_TEMPLATES)],
    options: {
      onConfigure: (env: nunjucks.Environment) =>
        addFilters(env, (set, code) => values.find(set, code)?.label ?? null),
      autoescape: true,
      throwOnUndefined: false,
    },
  });
  // The built CSS and JavaScript: named by their content's hash, so cached for a year.
  await app.register(fastifyStatic, {
    root: resolve(WEB_DIST, 'public'),
    prefix: '/assets/',
    index: false,
    cacheControl: false,
    setHeaders: (res, path) => {
      const hashed = /-[0-9a-f]{12}\.(css|js|min\.js)$/.test(path);
      void res.header(
        'cache-control',
        hashed ? `public, max-age=${YEAR_SECONDS}, immutable` : 'public, max-age=86400',
      );
    },
  });
  options.beforeInit?.(app);
  await initOrClose(app);
  return app;
}
