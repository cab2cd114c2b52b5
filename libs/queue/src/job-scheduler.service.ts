import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { JOB_CATALOGUE } from './job-catalogue.js';
import { QueueService } from './queue.service.js';
import { jobSchedules } from './schedules.js';

/** Upserts every job scheduler of schedules.ts at worker boot: the one place repeating jobs are defined. */
@Injectable()
export class JobSchedulerService implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobSchedulerService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const schedule of jobSchedules(this.config)) {
      const definition = JOB_CATALOGUE[schedule.job];
      await this.queues.queue(definition.queue).upsertJobScheduler(schedule.id, schedule.repeat, {
        name: schedule.job,
        data: {},
        opts: definition.options,
      });
      this.logger.log(`job scheduler ${schedule.id} upserted`);
    }
  }
}
