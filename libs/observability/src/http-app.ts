import { ValidationPipe, type DynamicModule, type ExceptionFilter, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { trustProxySetting, type AppConfig } from '../../config/src/index.js';
import { Metrics } from './metrics.js';
import { flattenValidationErrors, ProblemDetailsFilter, ValidationProblem } from './problem-details.js';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { WellFormedTextPipe } from './well-formed-text.js';
import { registerBodyParsers } from './body-parsers.js';

export interface HttpAppOptions {
  /** Listen for SIGTERM/SIGINT and run Nest's shutdown hooks (processes yes; tests close the app themselves). */
  readonly shutdownHooks: boolean;
  /** Runs on the app before it initialises (the e2e suites hook their response checks in here). */
  readonly beforeInit?: (app: NestFastifyApplication) => void;
}

/** What an app answers errors with: problem details (api, worker) unless it says otherwise (web pages). */
export interface HttpAppShape {
  readonly errors?: (app: NestFastifyApplication) => ExceptionFilter;
}

/**
 * The HTTP shell shared by api and worker: Fastify, pino logs with request ids, problem-details errors, the
 * strict validation pipe (unknown fields are refused, so mass assignment cannot happen) behind the check of
 * text that cannot be stored as sent (NUL, unpaired surrogates), request metrics.
 */
export async function createHttpApp(
  module: DynamicModule | Type,
  config: AppConfig,
  options: HttpAppOptions,
  shape: HttpAppShape = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    trustProxy: trustProxySetting(config.TRUST_PROXY),
    bodyLimit: 1024 * 1024,
    genReqId: requestIdFor,
    requestIdHeader: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Registered by registerBodyParsers below.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  if (options.shutdownHooks) app.enableShutdownHooks();
  app.useGlobalPipes(
    new WellFormedTextPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(shape.errors?.(app) ?? new ProblemDetailsFilter());
  registerBodyParsers(app);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // On shutdown the server stops accepting and waits for its open connections, and a client's keep-alive
  // connection would hold it for Fastify's keepAliveTimeout (72 s) after the last answer: every answer sent
  // once closing has begun closes its connection.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.get(Metrics).instrument(fastify);
  return app;
}

/**
 * Initialises the app (the schema check and the job catalogue check run here); on failure closes what was
 * opened (pools, Redis connections) before rethrowing, so a refused start leaves nothing running.
 */
export async function initOrClose(app: NestFastifyApplication): Promise<void> {
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}
