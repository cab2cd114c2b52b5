import { RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AppConfig } from '../../config/src/index.js';
import { safeError } from './problem-details.js';
import { redactLogLine } from './redaction.js';
import { requestIdFor } from './request-id.js';

/** Structured JSON logs (pino) with a request id on every line of a request and identifiers redacted. */
export function structuredLogging(service: string): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [AppConfig],
    useFactory: (config: AppConfig) => ({
      // Every route. nestjs-pino's default ('{/*splat}') matched nothing under Nest 12 on Fastify, so no
      // request was logged at all (found by the identifier-logs test, which checks that requests are).
      forRoutes: [{ path: '*splat', method: RequestMethod.ALL }],
      pinoHttp: [
        {
          level: config.LOG_LEVEL,
          base: { service, version: config.APP_VERSION },
          genReqId: requestIdFor,
          // One test of each written line, not pino's walk of it once per redacted path (see redactLogLine).
          hooks: { streamWrite: redactLogLine },
          // Bodies and query strings are never logged: they may carry identifiers.
          serializers: {
            // Every logged error, wherever it is logged from, loses bound values and PostgreSQL detail.
            err: safeError,
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url.split('?')[0],
            }),
          },
          autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
          customLogLevel: (_req, res, error) =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        },
        // Written to stdout synchronously, as Node writes to a pipe or a file: a line is out before the next
        // statement runs (none lost or late on a crash). pino's default, an asynchronous write through the
        // thread pool, cost more on the api's one core (a thread hand-off per line: about 3% of a patient
        // summary's CPU in issue 7's A/B runs).
        pino.destination({ dest: 1, sync: true }),
      ],
    }),
  });
}
