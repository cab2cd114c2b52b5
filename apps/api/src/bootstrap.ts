import fastifyCookie from '@fastify/cookie';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type SchemaObject,
} from '@nestjs/swagger';
import helmet from 'helmet';
import type { AppConfig } from '../../../libs/config/src/index.js';
import { createHttpApp, initOrClose, type HttpAppOptions } from '../../../libs/observability/src/index.js';
import { Authenticator } from '../../../libs/access/src/index.js';
import { mountQueueDashboard, QueueService } from '../../../libs/queue/src/index.js';
import { ApiModule } from './api.module.js';
import { RESPONSE_SCHEMAS } from './response-schemas.generated.js';
import { RESPONSES } from './responses.js';
import { DASHBOARD_PATH, dashboardGuard } from './queue-dashboard/queue-dashboard.controller.js';

export const DOCS_PATH = 'api/docs';
export const DOCS_JSON_PATH = 'api/docs-json';

/**
 * The api's OpenAPI document, from its controllers and DTOs (the api serves it at /api/docs-json; the
 * `openapi` script writes it to openapi.json, which is committed and checked by the test command).
 */
export function apiDocument(app: INestApplication, version: string): OpenAPIObject {
  return withProblems(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('VA-ECMO postcardiotomy follow-up registry')
        .setDescription(
          'Enrolment, consent, ECMO runs, complications, follow-up and audit exports for VA ECMO in ' +
            'postcardiotomy cardiogenic shock (NICE evidence generation). Errors are RFC 9457 problem details.',
        )
        .setVersion(version)
        .setLicense('MIT', 'https://opensource.org/license/mit')
        .addServer('/', 'This api')
        .addBearerAuth()
        .build(),
    ),
  );
}

/** Operations whose 2xx answer Nest describes itself: the health probes (Terminus), a file download. */
const DESCRIBED_ELSEWHERE = new Set([
  'HealthController_live',
  'HealthController_ready',
  'AuditExportsController_download',
]);

/** Sets an operation's 2xx answer from RESPONSES (a named type of response-types.ts); throws if it has none. */
function withAnswer(operation: OperationObject, name: string): void {
  const id = operation.operationId ?? name;
  if (id === 'AuditExportsController_download') {
    const file = { schema: { type: 'string', format: 'binary' } };
    operation.responses['200'] = {
      description:
        'The file as the export wrote it: CSV tables, the JSON manifest and report, the HTML report',
      content: { 'text/csv': file, 'application/json': file, 'text/html': file },
    };
    return;
  }
  if (DESCRIBED_ELSEWHERE.has(id)) return;
  const answer = RESPONSES[id];
  if (!answer) throw new Error(`${name} (${id}) has no answer in apps/api/src/responses.ts`);
  for (const status of Object.keys(operation.responses))
    if (status.startsWith('2')) delete operation.responses[status];
  const ref = (type: string) => ({ $ref: `#/components/schemas/${type}` });
  operation.responses[answer.status] =
    answer.body === null
      ? { description: 'Done: no content' }
      : {
          description: 'The answer',
          content: {
            'application/json': {
              schema: Array.isArray(answer.body)
                ? { type: 'array', items: ref(answer.body[0]) }
                : ref(answer.body),
            },
          },
        };
}

/** RFC 9457 problem details, as every error answer has them (libs/observability problem-details.ts). */
const PROBLEM_DETAILS: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Unprocessable Entity' },
    status: { type: 'integer', example: 422 },
    detail: { type: 'string', example: 'The ECMO run breaks the registry’s rules' },
    instance: { type: 'string', example: '/patients/0b7f4c1e-1111-4222-8333-944445555666/ecmo-runs' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Each invalid field: its path in the body (or the query) and why.',
      items: {
        type: 'object',
        required: ['field', 'reason'],
        properties: {
          field: { type: 'string', example: 'endedAt' },
          reason: { type: 'string', example: "must be after the run's start (2026-11-17T14:00:00.000Z)" },
        },
        additionalProperties: false,
      },
    },
    health: {
      type: 'object',
      additionalProperties: true,
      description:
        'The readiness report, on a 503 from /health/ready (Terminus: status, info, error, details).',
    },
  },
  additionalProperties: false,
};

/** Problems beyond the general rule: another site, a file of an export not ready, a clinic list backwards. */
const EXTRA_PROBLEMS: Record<string, number[]> = {
  // Enrolment at a site the caller does not work at: not found, as for one that does not exist.
  PatientsController_enrol: [404],
  AuditExportsController_download: [409],
  ClinicListController_list: [422],
};

/** Why each error status is answered, as the document says it. */
const PROBLEM_WHY: Record<number, string> = {
  400: 'A field, parameter or header is malformed (each named in `errors`)',
  401: 'No valid access token or API key',
  403: 'The caller’s role may not do this',
  404: 'Not found, or not at a site the caller may see',
  409: 'The record changed since it was read (a stale If-Match), or the change conflicts with its state',
  422: 'Well-formed, but breaks a registry rule (each field named in `errors`)',
  410: 'Gone: the patient declined and their identity was destroyed',
  413: 'The body is larger than 1 MiB',
  415: 'The body is not JSON',
  428: 'A correction without If-Match',
  429: 'Too many requests: wait for Retry-After seconds',
  503: 'PostgreSQL or Redis is unavailable: the detail says what became of the change; try after Retry-After',
};

/**
 * Adds to every operation the problem-details answers it can give, from what the route takes: 400 with a
 * parameter or body, 401 and 403 behind a token, 404 with a path parameter, 409 and 422 for a change, 428
 * with If-Match, 429 under the rate limits, 503 always. Public operations (the sign-in steps, health) say
 * they need no credential.
 */
function withProblems(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(RESPONSE_SCHEMAS as Record<string, SchemaObject>),
      ProblemDetails: PROBLEM_DETAILS,
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      operation.security ??= [];
      withAnswer(operation, `${method.toUpperCase()} ${path}`);
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      const statuses = new Set<number>([503]);
      if (parameters.length > 0 || operation.requestBody) statuses.add(400);
      // A body too large, or not JSON (any change may be sent one, even one that takes none).
      if (method !== 'get') [413, 415].forEach((s) => statuses.add(s));
      if (operation.security.length > 0) [401, 403].forEach((s) => statuses.add(s));
      // The sign-in steps refuse a bad credential.
      if (path.startsWith('/auth/')) statuses.add(401);
      // A patient kept only as a count (a decline) answers 409 to a read of their records.
      if (method === 'get' && path.startsWith('/patients/{patientId}/')) statuses.add(409);
      for (const status of EXTRA_PROBLEMS[operation.operationId ?? ''] ?? []) statuses.add(status);
      // The identity of a patient who declined is destroyed.
      if (path === '/patients/{patientId}/identity') statuses.add(410);
      if (path.includes('{')) statuses.add(404);
      if (method !== 'get') [409, 422].forEach((s) => statuses.add(s));
      if (parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match')) statuses.add(428);
      if (!path.startsWith('/health')) statuses.add(429);
      for (const status of [...statuses].sort()) {
        // A 503 is always a problem (the readiness probe's too, with its report under `health`).
        if (status === 503) delete operation.responses[status];
        operation.responses[status] ??= {
          description: PROBLEM_WHY[status],
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
          },
        };
      }
    }
  }
  return document;
}

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
    SwaggerModule.setup(DOCS_PATH, app, apiDocument(app, config.APP_VERSION), {
      jsonDocumentUrl: DOCS_JSON_PATH,
    });
  }
  options.beforeInit?.(app);
  await initOrClose(app);
  return app;
}
