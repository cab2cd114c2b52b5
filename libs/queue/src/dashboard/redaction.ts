import type {
  AfterHook,
  BeforeHook,
  ControllerHandlerReturnType,
  HookContext,
} from '@bull-board/api/typings/app';

/** What the dashboard shows instead of a value it must not (free text that could name a patient). */
export const HIDDEN = '[hidden: see the worker log]';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value the dashboard may show as is: a UUID, a number or a boolean (our payloads are ids only). */
function isIdLike(value: unknown): value is string | number | boolean {
  return (
    (typeof value === 'string' && UUID.test(value)) ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'boolean'
  );
}

/**
 * A job payload as the dashboard shows it: only its id-like values (UUIDs, numbers, booleans); anything else,
 * including nested objects, becomes HIDDEN. Fails closed: a payload that ever carries text shows none of it.
 */
export function idsOnly(data: unknown): Record<string, string | number | boolean> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
  return Object.fromEntries(
    Object.entries(data as Record<string, unknown>).map(([key, value]) => [
      key,
      isIdLike(value) ? value : HIDDEN,
    ]),
  );
}

const SAFE_JOB_OPTIONS = ['attempts', 'delay', 'priority', 'backoff', 'jobId', 'repeatJobKey'] as const;

/**
 * One job as the dashboard shows it: ids, name, timings, attempts and states, with the payload reduced to its
 * ids and every free-text field (failure reason, stack trace, return value, progress text) hidden.
 */
export function redactJob(job: Record<string, unknown>): Record<string, unknown> {
  const opts = (typeof job.opts === 'object' && job.opts !== null ? job.opts : {}) as Record<string, unknown>;
  const { externalUrl: _externalUrl, ...rest } = job;
  return {
    ...rest,
    data: idsOnly(job.data),
    returnValue: null,
    progress: typeof job.progress === 'number' ? job.progress : 0,
    failedReason: typeof job.failedReason === 'string' && job.failedReason !== '' ? HIDDEN : job.failedReason,
    ...(job.deferredFailure === undefined ? {} : { deferredFailure: HIDDEN }),
    stacktrace: [],
    opts: Object.fromEntries(SAFE_JOB_OPTIONS.filter((key) => key in opts).map((key) => [key, opts[key]])),
    ...(job.deduplicationId === undefined
      ? {}
      : { deduplicationId: isIdLike(job.deduplicationId) ? job.deduplicationId : HIDDEN }),
    ...(job.groupId === undefined ? {} : { groupId: isIdLike(job.groupId) ? job.groupId : HIDDEN }),
  };
}

/**
 * The dashboard's read-only api: the board's GET routes the page needs, none of which can change a queue.
 * Anything else (every write, the flow tree that would show child payloads, routes of a later bull-board
 * version) is refused before the board runs it: the list fails closed.
 */
export const READ_ROUTES: ReadonlySet<string> = new Set([
  '/api/queues',
  '/api/job-schedulers',
  '/api/redis/stats',
  '/api/metrics/history',
  '/api/metrics/history/usage',
  '/api/metrics/latency',
  '/api/queues/:queueName/metrics',
  '/api/queues/:queueName/default-job-options',
  '/api/queues/:queueName/workers',
  '/api/queues/:queueName/rate-limit',
  '/api/queues/:queueName/:jobId',
  '/api/queues/:queueName/:jobId/logs',
]);

export const dashboardBefore: BeforeHook = (context: HookContext) => {
  if (context.method.toLowerCase() !== 'get') {
    return { allow: false, status: 405, message: 'The queue dashboard is read-only' };
  }
  if (!READ_ROUTES.has(context.route)) {
    return { allow: false, status: 404, message: 'Not available on this dashboard' };
  }
  return { allow: true };
};

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reduces every job and scheduler template the board is about to answer to ids only; job logs to nothing. */
export const dashboardAfter: AfterHook = (context: HookContext, result: ControllerHandlerReturnType) => {
  const body: unknown = result.body;
  if ((result.status ?? 200) >= 400) return result;
  // Job logs are free text written by processors: none is shown.
  if (context.route === '/api/queues/:queueName/:jobId/logs') return { ...result, body: [] };
  if (!isObject(body)) return result;
  switch (context.route) {
    case '/api/queues': {
      const queues = Array.isArray(body.queues) ? body.queues : [];
      return {
        ...result,
        body: {
          ...body,
          queues: queues.map((queue: unknown) =>
            isObject(queue) && Array.isArray(queue.jobs)
              ? { ...queue, jobs: queue.jobs.map((job: unknown) => (isObject(job) ? redactJob(job) : job)) }
              : queue,
          ),
        },
      };
    }
    case '/api/queues/:queueName/:jobId':
      return isObject(body.job) ? { ...result, body: { ...body, job: redactJob(body.job) } } : result;
    case '/api/job-schedulers': {
      const schedulers = Array.isArray(body.schedulers) ? body.schedulers : [];
      return {
        ...result,
        body: {
          ...body,
          schedulers: schedulers.map((scheduler: unknown) =>
            isObject(scheduler) && isObject(scheduler.template)
              ? { ...scheduler, template: { data: idsOnly(scheduler.template.data) } }
              : scheduler,
          ),
        },
      };
    }
    default:
      return result;
  }
};
