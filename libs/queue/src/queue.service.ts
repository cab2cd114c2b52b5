import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/src/index.js';
import {
  assertValidJobId,
  JOB_CATALOGUE,
  QueueName,
  type JobName,
  type JobPayloads,
} from './job-catalogue.js';
import { REDIS } from './redis.js';

/** Producer side of the catalogue: typed enqueueing with the per-job options of JOB_CATALOGUE. */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.config.REDIS_PREFIX });
      queue.on('error', (error) => this.logger.error(`queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  allQueues(): Queue[] {
    return Object.values(QueueName).map((name) => this.queue(name));
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: JobsOptions = {},
  ): Promise<Job> {
    if (options.jobId !== undefined) assertValidJobId(options.jobId);
    const definition = JOB_CATALOGUE[name];
    return this.queue(definition.queue).add(name, payload, { ...definition.options, ...options });
  }

  /**
   * Many jobs at once, one `addBulk` per queue, each with its catalogue options under its own (id, delay).
   * The names come from storage (the outbox), so an unknown one is refused here rather than trusted.
   */
  async enqueueBulk(jobs: readonly { name: string; payload: object; options: JobsOptions }[]): Promise<void> {
    const byQueue = new Map<QueueName, { name: string; data: object; opts: JobsOptions }[]>();
    for (const job of jobs) {
      const definition = (JOB_CATALOGUE as Partial<Record<string, (typeof JOB_CATALOGUE)[JobName]>>)[
        job.name
      ];
      if (!definition) throw new Error(`unknown job ${job.name}`);
      if (job.options.jobId !== undefined) assertValidJobId(job.options.jobId);
      const queued = byQueue.get(definition.queue) ?? [];
      queued.push({ name: job.name, data: job.payload, opts: { ...definition.options, ...job.options } });
      byQueue.set(definition.queue, queued);
    }
    for (const [queue, queued] of byQueue) await this.queue(queue).addBulk(queued);
  }

  /** Queues close after the workers (which close in onModuleDestroy, earlier in Nest's shutdown sequence). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
