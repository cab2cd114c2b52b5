import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { Clock } from '../../../time/src/index.js';
import { MessageProviders, type LookupResult } from '../../../messaging/src/index.js';
import { JOB_CATALOGUE, JobHandler, JobName, QueueService } from '../../../queue/src/index.js';
import { reminderJobId } from '../rules/reminders.js';
import { errorMessage } from '../../../observability/src/index.js';

import { ReminderSender } from './reminder-sender.js';
import { interruptedDeliveries, pendingRemindersDue } from './reminders.queries.js';

/**
 * Makes reminders survive the loss of Redis and of a worker (issue 5): every few minutes it gives each
 * pending reminder due before the next run a job if it has none waiting (same versioned id, so a job still
 * there is never doubled), and settles the deliveries a crash left claimed without an outcome, never by a
 * blind resend: a provider that cannot be asked what it did gets them marked `unknown` (at most once).
 */
@Injectable()
export class ReminderReconciler {
  private readonly logger = new Logger(ReminderReconciler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly queues: QueueService,
    private readonly sender: ReminderSender,
    private readonly providers: MessageProviders,
    private readonly clock: Clock,
  ) {}

  @JobHandler(JobName.ReconcileReminders)
  async handle(): Promise<{ requeued: number; settled: number }> {
    return this.run();
  }

  async run(): Promise<{ requeued: number; settled: number }> {
    const requeued = await this.requeue();
    const settled = await this.settleInterrupted();
    if (requeued + settled > 0) this.logger.log({ requeued, settled }, 'reminders reconciled');
    return { requeued, settled };
  }

  private async requeue(): Promise<number> {
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + this.config.REMINDER_RECONCILE_INTERVAL_MS);
    const rows = await pendingRemindersDue(this.dataSource.manager, horizon);
    const queue = this.queues.queue(JOB_CATALOGUE[JobName.SendReminder].queue);
    let requeued = 0;
    for (const row of rows) {
      const jobId = reminderJobId(row.id, row.version);
      const job = await queue.getJob(jobId);
      if (job) {
        const state = await job.getState();
        // Finished without sending (retries exhausted): run it again. Anything else is still on its way.
        if (state !== 'completed' && state !== 'failed') continue;
        await job.remove();
      }
      await this.queues.enqueue(
        JobName.SendReminder,
        { reminderId: row.id, version: row.version },
        { jobId, delay: Math.max(0, row.due_at.getTime() - now.getTime()) },
      );
      requeued += 1;
    }
    return requeued;
  }

  private async settleInterrupted(): Promise<number> {
    const claimedBefore = new Date(this.clock.now().getTime() - this.config.REMINDER_CLAIM_TIMEOUT_MS);
    const rows = await interruptedDeliveries(this.dataSource.manager, claimedBefore);
    let settled = 0;
    for (const row of rows) {
      const provider = this.providers.forChannel(row.channel);
      if (provider.name !== row.provider || !provider.lookup) {
        const resend = provider.name === row.provider && provider.foldsDuplicates === true;
        await this.sender.settle(
          row.reminder_id,
          row.id,
          'unknown',
          null,
          `interrupted after it was handed to ${row.provider}, which cannot be asked: ${resend ? 'sent once more with the same Message-ID if the appointment is still ahead' : 'not resent (at most once)'}`,
        );
        // A lost reminder is a missed visit; a duplicate e-mail, folded by its Message-ID, is at worst noise.
        if (resend) await this.sender.resendOnce(row.reminder_id, row.id, provider);
        settled += 1;
        continue;
      }
      let answer: LookupResult;
      try {
        answer = await provider.lookup(row.id, row.channel);
      } catch (error) {
        // Asked again on the next run; never resent without an answer.
        this.logger.warn(
          { deliveryId: row.id, reason: errorMessage(error) },
          `could not ask ${provider.name} about an interrupted reminder`,
        );
        continue;
      }
      if (answer.found) {
        await this.sender.settle(
          row.reminder_id,
          row.id,
          answer.delivered,
          answer.providerRef,
          `interrupted; ${provider.name} had taken it (found by reference)`,
        );
      } else {
        await this.sender.resume(row.reminder_id, row.id, provider, claimedBefore);
      }
      settled += 1;
    }
    return settled;
  }
}
