import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { JOB_CATALOGUE } from './job-catalogue.js';
import { QueueService } from './queue.service.js';
import { jobSchedules, type JobSchedule } from './schedules.js';
import { errorMessage } from '../../observability/src/error-message.js';

/** How often the worker checks that Redis still holds every job scheduler. */
const CHECK_EVERY_MS = 60_000;

/**
 * Upserts every job scheduler of schedules.ts at worker boot: the one place repeating jobs are defined. Then
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const schedule of jobSchedules(this.config)) {
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
    for (const schedule of jobSchedules(this.config)) {
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
