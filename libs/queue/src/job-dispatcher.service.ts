import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/src/index.js';
import { catalogueProblems, type FoundHandler } from './catalogue-check.js';
import { JOB_CATALOGUE, QUEUE_CONCURRENCY, QueueName, type JobName } from './job-catalogue.js';
import { JOB_HANDLER_METADATA } from './job-handler.decorator.js';
import { createWorkerRedis } from './redis.js';
import { errorMessage } from '../../observability/src/index.js';

type Handler = (payload: unknown, job: Job) => Promise<unknown>;

export class JobCatalogueError extends Error {
  constructor(problems: readonly string[]) {
    super(`Job catalogue check failed: ${problems.join('; ')}`);
    this.name = 'JobCatalogueError';
  }
}

/**
 * Consumer side of the catalogue, in the worker only: finds the @JobHandler methods, refuses to boot unless
 * every job has exactly one, and runs one BullMQ Worker per queue. On shutdown the workers close first
 * (onModuleDestroy, before the queues' onApplicationShutdown), waiting for running jobs up to
 * SHUTDOWN_TIMEOUT_MS, after which they are closed by force and BullMQ retries those jobs later.
 */
@Injectable()
export class JobDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobDispatcher.name);
  private readonly handlers = new Map<string, Handler>();
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const found = this.discoverHandlers();
    const problems = catalogueProblems(found);
    if (problems.length > 0) throw new JobCatalogueError(problems);
    for (const queue of Object.values(QueueName)) {
      const connection = createWorkerRedis(this.config.REDIS_URL);
      this.connections.push(connection);
      const worker = new Worker(queue, (job) => this.process(job), {
        connection,
        prefix: this.config.REDIS_PREFIX,
        concurrency: QUEUE_CONCURRENCY[queue],
      });
      worker.on('failed', (job, error) =>
        this.logger.warn(
          // `reason`, not `err`: pino's error serializer turns a bare string into {"type":"string"}.
          { queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, reason: error.message },
          'job failed',
        ),
      );
      worker.on('error', (error) => this.logger.error({ queue, reason: error.message }, 'worker error'));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.logger.log(`processing ${this.handlers.size} job type(s) on ${this.workers.length} queue(s)`);
  }

  private discoverHandlers(): FoundHandler[] {
    const found: FoundHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const job = this.reflector.get<JobName | undefined>(JOB_HANDLER_METADATA, fn);
        if (job === undefined) continue;
        found.push({ job, location: `${instance.constructor.name}.${method}` });
        this.handlers.set(job, (fn as Handler).bind(instance));
      }
    }
    return found;
  }

  private async process(job: Job): Promise<unknown> {
    const handler = this.handlers.get(job.name);
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    const started = Date.now();
    // Time between when the job became due (added, plus its delay) and when a worker picked it up.
    const waitedMs = Math.max(0, (job.processedOn ?? started) - job.timestamp - (job.delay ?? 0));
    try {
      const result = await handler(job.data, job);
      this.logger.log(
        {
          job: job.name,
          jobId: job.id,
          queue: JOB_CATALOGUE[job.name as JobName]?.queue,
          waitedMs,
          ranMs: Date.now() - started,
        },
        'job done',
      );
      return result;
    } catch (error) {
      this.logger.warn(
        {
          job: job.name,
          jobId: job.id,
          waitedMs,
          ranMs: Date.now() - started,
          reason: errorMessage(error),
        },
        'job threw',
      );
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    const timeoutMs = this.config.SHUTDOWN_TIMEOUT_MS;
    await Promise.all(
      this.workers.map(async (worker) => {
        if ((await withTimeout(worker.close(), timeoutMs)) === 'timeout') {
          // close(true) would wait on the graceful close already under way (BullMQ returns the same promise):
          // signal the running jobs to abort and cut the connection. Their locks expire and the stalled-job
          // check hands them to another worker, which is why every effect is idempotent.
          this.logger.warn(
            `worker ${worker.name} still busy after ${timeoutMs} ms: aborting its jobs (they will be retried)`,
          );
          worker.cancelAllJobs('shutdown');
          await withTimeout(worker.disconnect(), 1000);
        }
      }),
    );
    // quit() waits for Redis to answer, which it may not while Redis is down.
    for (const connection of this.connections) {
      if (connection.status !== 'ready' || (await withTimeout(connection.quit(), 1000)) === 'timeout')
        connection.disconnect();
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
