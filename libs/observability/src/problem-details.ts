import {
  committedDuring,
  CommitOutcomeUnknown,
  constraintBreach,
  isDependencyDown,
  type ConstraintBreach,
} from '../../database/src/index.js';
import { Counter } from 'prom-client';
import { errorMessage } from './error-message.js';
import { STATUS_CODES } from 'node:http';
import {
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** One invalid field: where it is (dotted path) and why it was refused. */
export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldError[];
  /** The readiness report, on a 503 from /health/ready. */
  readonly health?: unknown;
}

function isHealthReport(value: unknown): value is { status: string; error?: Record<string, unknown> } {
  return (
    typeof value === 'object' && value !== null && 'details' in value && 'status' in value && 'error' in value
  );
}

/** Thrown by the validation pipe: 400 with every invalid field and its reason. */
export class ValidationProblem extends BadRequestException {
  constructor(readonly fieldErrors: readonly FieldError[]) {
    super('The request has invalid fields');
  }
}

/**
 * A request that is well-formed but breaks a registry rule (a cross-field or timeline rule, an unknown code,
 * a consent state): 422 with each field and the rule it breaks, or another 4xx (409) given by the caller.
 */
export class RuleProblem extends HttpException {
  constructor(
    detail: string,
    readonly fieldErrors: readonly FieldError[] = [],
    status: number = HttpStatus.UNPROCESSABLE_ENTITY,
  ) {
    super(detail, status);
  }
}

export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Turns every error into a problem-details body. Client errors keep their message; PostgreSQL or Redis down
 * or unreachable is a 503 (try again shortly); anything else that is not an HttpException is a bug: it is
 * logged with the request id and answered 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    void sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

/** When a client may try again after a 503 (a dependency down, or not ready). */
const RETRY_AFTER_SECONDS = '5';

/**
 * Answers a request with the problem details of an error, as the filter does: for code that answers outside
 * Nest's exception handling (a Fastify hook, say). A 503 says when to try again.
 */
export function sendProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = problemConverter.toProblem(exception, request);
  if (problem.status === 503) void reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
}

/**
 * Database rules that reached the error filter: each is a rule the service should have checked first (with
 * the field and the reason), so each is a bug, answered 422 all the same. Registered in every process's
 * metrics registry (see Metrics); the e2e suites fail a test that reaches it (test/support/e2e-guards.ts).
 */
export const constraintFallbacks = new Counter({
  name: 'db_constraint_fallback_total',
  help: 'Database constraint violations answered by the error filter’s fallback, not by a service check',
  labelNames: ['constraint'] as const,
  registers: [],
});

let fallbacksSoFar: string[] = [];

/** The constraints that reached the fallback in this process so far (the e2e suites' check). */
export function constraintFallbacksSoFar(): readonly string[] {
  return fallbacksSoFar;
}

/** The request field a database rule names, as well as it can be told: its column, else its name. */
export function constraintField(breach: ConstraintBreach): string {
  const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (breach.column) return camel(breach.column);
  let name = breach.constraint ?? '';
  if (breach.table && name.startsWith(`${breach.table}_`)) name = name.slice(breach.table.length + 1);
  name = name.replace(/_?(check\d*|fkey)$/, '');
  return camel(name || breach.table || 'body');
}

class ProblemConverter {
  private readonly logger = new Logger('ProblemDetails');

  /**
   * PostgreSQL or Redis down or unreachable: a 503, whose detail says what became of the change. Nothing, as
   * a rule; saved, when the request had committed before it failed (reading the saved record back, say); or
   * unknown, when the connection went during COMMIT.
   */
  private unavailable(
    exception: unknown,
    request: FastifyRequest & { id?: string },
  ): Pick<ProblemDetails, 'type' | 'title' | 'status' | 'detail'> | null {
    let detail: string;
    let event: string;
    const down = isDependencyDown(exception);
    if (exception instanceof CommitOutcomeUnknown) {
      detail =
        'The database became unavailable while saving this change: it may or may not have been saved. Reload before sending it again';
      event = 'commit outcome unknown';
    } else if (down && committedDuring(request)) {
      detail =
        'The change was saved, but a service the registry depends on became unavailable before the answer was complete. Reload to see it; do not send it again';
      event = 'dependency unavailable after the change was saved';
    } else if (down) {
      detail = 'A service the registry depends on is unavailable: nothing was changed, try again shortly';
      event = 'dependency unavailable';
    } else {
      return null;
    }
    this.logger.warn({ reason: errorMessage(exception), requestId: request.id }, event);
    const status = HttpStatus.SERVICE_UNAVAILABLE;
    return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Service Unavailable', status, detail };
  }

  toProblem(exception: unknown, request: FastifyRequest & { id?: string }): ProblemDetails {
    const base = { instance: request.url?.split('?')[0], requestId: request.id };
    if (exception instanceof ValidationProblem) {
      return {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: exception.message,
        errors: exception.fieldErrors,
        ...base,
      };
    }
    if (exception instanceof RuleProblem) {
      const status = exception.getStatus();
      return {
        type: 'about:blank',
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail: exception.message,
        ...(exception.fieldErrors.length > 0 ? { errors: exception.fieldErrors } : {}),
        ...base,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isHealthReport(response)) {
        // Terminus' report says which dependency is down; it stays whole under `health`.
        const down = Object.keys(response.error ?? {}).join(', ');
        return {
          type: 'about:blank',
          title: STATUS_CODES[status] ?? 'Error',
          status,
          detail: `Not ready: ${down} down`,
          health: response,
          ...base,
        };
      }
      const message =
        typeof response === 'string'
          ? response
          : typeof (response as { message?: unknown }).message === 'string'
            ? (response as { message: string }).message
            : exception.message;
      return {
        type: 'about:blank',
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail: message,
        ...base,
      };
    }
    // Errors raised by Fastify itself (malformed JSON, unsupported media type, body too large) carry a 4xx.
    const fastifyStatus = (exception as { statusCode?: unknown } | null)?.statusCode;
    const fastifyCode = (exception as { code?: unknown } | null)?.code;
    if (
      typeof fastifyCode === 'string' &&
      fastifyCode.startsWith('FST_') &&
      typeof fastifyStatus === 'number' &&
      fastifyStatus >= 400 &&
      fastifyStatus < 500
    ) {
      const detail = exception instanceof Error ? exception.message : undefined;
      return {
        type: 'about:blank',
        title: STATUS_CODES[fastifyStatus] ?? 'Error',
        status: fastifyStatus,
        detail,
        ...base,
      };
    }
    const unavailable = this.unavailable(exception, request);
    if (unavailable) return { ...unavailable, ...base };
    const breach = constraintBreach(exception);
    if (breach) {
      const constraint = breach.constraint ?? `${breach.table ?? '?'}.${breach.column ?? '?'} NOT NULL`;
      constraintFallbacks.inc({ constraint });
      fallbacksSoFar = [...fallbacksSoFar, constraint];
      // Only the constraint's name: the error's detail and parameters carry the values sent.
      this.logger.error(
        { constraint, code: breach.code, requestId: request.id },
        'a database rule refused a write the service did not check first',
      );
      const status = HttpStatus.UNPROCESSABLE_ENTITY;
      return {
        type: 'about:blank',
        title: STATUS_CODES[status] ?? 'Unprocessable Entity',
        status,
        detail: 'The change breaks one of the registry’s rules: nothing was saved',
        errors: [{ field: constraintField(breach), reason: `breaks the rule ${constraint}` }],
        ...base,
      };
    }
    // Why and where, as text: the logger shows an error object under `err` as {"type":"object"}.
    this.logger.error(
      {
        reason: errorMessage(exception),
        error: exception instanceof Error ? exception.name : typeof exception,
        stack: exception instanceof Error ? exception.stack?.split('\n').slice(1, 8).join('\n') : undefined,
        requestId: request.id,
      },
      'unhandled error',
    );
    const status = HttpStatus.INTERNAL_SERVER_ERROR;
    return {
      type: 'about:blank',
      title: 'Internal Server Error',
      status,
      detail: 'An unexpected error occurred; it has been logged.',
      ...base,
    };
  }
}

const problemConverter = new ProblemConverter();

/**
 * The problem details of an error, classified as the api's answers are (a dependency down is 503, anything
 * not an HttpException is a logged 500): for answers that are not JSON, such as the web application's pages.
 */
export function problemOf(exception: unknown, request: FastifyRequest): ProblemDetails {
  return problemConverter.toProblem(exception, request);
}

/**
 * What of an error may be logged. A database error carries the statement's bound values (`parameters`) and
 * PostgreSQL's `detail` ("Key (nhs_number)=(...) already exists"): identifiers that name-based redaction
 * cannot catch. Only the type, message, SQLSTATE or error code, and stack are kept.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    stack: error.stack,
  };
}
