import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { addCalendarDays, Clock, londonDay } from '../../../time/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import { addToOutbox, JobHandler, JobName, QueueService } from '../../../queue/src/index.js';
import { exportsLeftWaiting, insertExportRequest } from './audit-exports.queries.js';

import { EXPORT_PROFILES, type ExportProfile } from './audit-export.js';

/** How the audit trail names the monthly schedule and the worker that generates exports. */
export const EXPORT_ACTOR = 'system:exports';

/** The BullMQ id of an export's job: one job per export, so a relayed-twice request runs once. */
export const exportJobId = (exportId: string): string => `export-${exportId}`;

/** Why a cut-off cannot be asked for at `now`, or null: it is a London day, today at the latest. */
export function cutOffProblem(cutOff: string, now: Date): string | null {
  const today = londonDay(now);
  return cutOff > today ? `must be on or before today (${today}, Europe/London)` : null;
}

export interface NewExport {
  readonly profile: ExportProfile;
  readonly cutOff: string;
  readonly origin: 'request' | 'schedule';
  readonly requestedBy: string;
  readonly requestedAt: Date;
  /** False when the caller generates it itself (the CLI): no job for the worker. */
  readonly enqueue?: boolean;
}

/**
 * Writes an export request: the next version for its cut-off and profile, and its job in the outbox (so the
 * job exists if and only if the request committed). Versions are numbered under a transaction-scoped lock,
 * so two requests at once get 1 and 2, not a unique-violation. A scheduled request that already exists for
 * the cut-off and profile is not made twice (answers null).
 */
export async function createExport(em: EntityManager, request: NewExport): Promise<string | null> {
  const id = await insertExportRequest(em, request);
  if (!id) return null;
  if (request.enqueue === false) return id;
  await addToOutbox(em, [
    { name: JobName.GenerateExport, payload: { exportId: id }, jobId: exportJobId(id) },
  ]);
  return id;
}

/**
 * The worker's side of the schedule: the monthly job asks for the profiles of `EXPORT_SCHEDULE_PROFILES` with the day before as the
 * cut-off; the reconciler re-adds the job of any export still waiting whose job Redis lost.
 */
@Injectable()
export class ScheduledExports {
  private readonly logger = new Logger(ScheduledExports.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly queues: QueueService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.ScheduleExports)
  async schedule(): Promise<void> {
    const now = this.clock.now();
    const cutOff = addCalendarDays(londonDay(now), -1);
    const created = await this.transactions.run(
      { actor: EXPORT_ACTOR, reason: `scheduled export, cut-off ${cutOff}` },
      async (em) => {
        const ids: string[] = [];
        for (const profile of EXPORT_PROFILES.filter((p) =>
          this.config.EXPORT_SCHEDULE_PROFILES.includes(p),
        )) {
          const id = await createExport(em, {
            profile,
            cutOff,
            origin: 'schedule',
            requestedBy: EXPORT_ACTOR,
            requestedAt: now,
          });
          if (id) ids.push(id);
        }
        return ids;
      },
    );
    this.logger.log({ cutOff, created: created.length }, 'scheduled audit exports requested');
  }

  @JobHandler(JobName.ReconcileExports)
  async reconcile(): Promise<void> {
    // Older than the outbox relay's look: a fresh request's job may not have reached Redis yet.
    const before = new Date(this.clock.now().getTime() - 2 * 60_000 - this.config.OUTBOX_POLL_INTERVAL_MS);
    // An export some process is generating (the CLI's, which has no job) is not given to the worker too.
    const waiting = await exportsLeftWaiting(this.dataSource.manager, before);
    if (waiting.length === 0) return;
    await this.queues.enqueueBulk(
      waiting.map((id) => ({
        name: JobName.GenerateExport,
        payload: { exportId: id },
        options: { jobId: exportJobId(id) },
      })),
    );
  }
}
