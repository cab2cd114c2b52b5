import {
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type DynamicModule,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/src/index.js';
import { HeartbeatHandler } from './heartbeat/heartbeat.handler.js';
import { WorkerHeartbeat } from './heartbeat/worker-heartbeat.entity.js';
import { JobDispatcher } from './job-dispatcher.service.js';
import { JOB_SCHEDULES, JobSchedulerService, type JobSchedules } from './job-scheduler.service.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { QueueService } from './queue.service.js';
import { createRedis, REDIS } from './redis.js';
import { evictionPolicy } from './redis-policy.js';

class RedisLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async warnUnlessNoEviction(): Promise<void> {
    const policy = await evictionPolicy(this.redis);
    if (policy !== undefined && policy !== 'noeviction') {
      this.logger.warn(`Redis maxmemory-policy is "${policy}": set it to "noeviction", or jobs may be lost`);
    }
  }

  /** Last of all: after the workers and the queues have closed. */
  async onApplicationShutdown(): Promise<void> {
    // quit() waits for a reply that a never-connected client would not get: disconnect it instead.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    else this.redis.disconnect();
  }
}

/**
 * Queues and the shared Redis connection. `forProducer()` for the api (enqueue only); `forWorker()` adds the
 * job handlers, the dispatcher that runs them, the job schedulers and the outbox relay.
 */
@Global()
@Module({})
export class QueueModule {
  static forProducer(): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        {
          provide: REDIS,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => createRedis(config.REDIS_URL),
        },
        RedisLifecycle,
        QueueService,
      ],
      exports: [REDIS, QueueService],
    };
  }

  /** `schedules`: the deployment's repeating jobs (apps/worker/src/schedules.ts). */
  static forWorker(schedules: JobSchedules): DynamicModule {
    const producer = QueueModule.forProducer();
    return {
      ...producer,
      imports: [DiscoveryModule, TypeOrmModule.forFeature([WorkerHeartbeat])],
      providers: [
        ...(producer.providers ?? []),
        JobDispatcher,
        JobSchedulerService,
        { provide: JOB_SCHEDULES, useValue: schedules },
        OutboxRelay,
        HeartbeatHandler,
        {
          provide: 'REDIS_POLICY_CHECK',
          inject: [RedisLifecycle],
          useFactory: async (lifecycle: RedisLifecycle) => lifecycle.warnUnlessNoEviction(),
        },
      ],
    };
  }
}
