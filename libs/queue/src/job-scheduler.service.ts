import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RepeatOptions } from 'bullmq';
import { AppConfig } from '../../config/src/index.js';
import { JOB_CATALOGUE, type JobName } from './job-catalogue.js';
import { QueueService } from './queue.service.js';
import { errorMessage } from '../../observability/src/index.js';

export interface JobSchedule {
  /** Scheduler id: stable, so upserting at every boot replaces the previous definition instead of adding one. */
  readonly id: string;
  readonly job: JobName;
  readonly repeat: Omit<RepeatOptions, 'key'>;
}

/** Every repeating job of a deployment, from its configuration: the worker app hands it in. */
export type JobSchedules = (config: AppConfig) => JobSchedule[];

export const JOB_SCHEDULES = Symbol('JOB_SCHEDULES');

/** How often the worker checks that Redis still holds every job scheduler. */
const CHECK_EVERY_MS = 60_000;

/**
 * Upserts every job scheduler the worker app hands in (its schedules.ts, the one place repeating jobs are
 * defined) at worker boot. Then
 * checks every minute that Redis still holds them, and puts back any it lost (a Redis restarted without its
 * data, a flush): otherwise the reminder reconciler, which recovers every other lost job, would be lost too.
 */
@Injectable()
export class JobSchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobSchedulerService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueService,
    @Inject(JOB_SCHEDULES) private readonly jobSchedules: JobSchedules,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const schedule of this.jobSchedules(this.config)) {
      await this.upsert(schedule);
      this.logger.log(`job scheduler ${schedule.id} upserted`);
    }
    this.timer = setInterval(() => {
      this.restoreMissing().catch((error: unknown) =>
        this.logger.warn({ reason: errorMessage(error) }, 'could not check the job schedulers'),
      );
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Puts back the schedulers Redis no longer holds; answers their ids. */
  async restoreMissing(): Promise<string[]> {
    const restored: string[] = [];
    for (const schedule of this.jobSchedules(this.config)) {
      const queue = this.queues.queue(JOB_CATALOGUE[schedule.job].queue);
      if (await queue.getJobScheduler(schedule.id)) continue;
      await this.upsert(schedule);
      restored.push(schedule.id);
    }
    if (restored.length > 0) {
      this.logger.warn({ restored }, 'job schedulers were missing from Redis (data lost?): restored');
    }
    return restored;
  }

  private async upsert(schedule: JobSchedule): Promise<void> {
    const definition = JOB_CATALOGUE[schedule.job];
    await this.queues.queue(definition.queue).upsertJobScheduler(schedule.id, schedule.repeat, {
      name: schedule.job,
      data: {},
      opts: definition.options,
    });
  }
}
