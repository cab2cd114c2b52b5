import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { addCalendarDays, Clock, londonDay } from '../../../time/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import { addToOutbox, JobHandler, JobName, QueueService } from '../../../queue/src/index.js';

export const EXPORT_PROFILES = ['internal', 'external_audit'] as const;
export type ExportProfile = (typeof EXPORT_PROFILES)[number];
export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed';

/** How the audit trail names the monthly schedule and the worker that generates exports. */
export const EXPORT_ACTOR = 'system:exports';

/** The BullMQ id of an export's job: one job per export, so a relayed-twice request runs once. */
export const exportJobId = (exportId: string): string => `export-${exportId}`;

/**
 * The two keys of the session advisory lock a generation holds on its export, for the export id given as
 * SQL. The reconciler looks for them in `pg_locks` to leave alone an export a process is generating.
 */
export const generationLock = (idSql: string): readonly [string, string] => [
  `hashtext('audit_export_generation')`,
  `hashtext(${idSql}::text)`,
];

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
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('audit_export'), hashtext($1))`, [
    `${request.cutOff}/${request.profile}`,
  ]);
  const rows: { id: string }[] = await em.query(
    `INSERT INTO audit_export (profile, cut_off, version, origin, status, requested_by, requested_at)
     SELECT $1, $2::date, COALESCE(max(version), 0) + 1, $3, 'queued', $4, $5
       FROM audit_export WHERE cut_off = $2::date AND profile = $1
     ON CONFLICT (cut_off, profile) WHERE origin = 'schedule' DO NOTHING
     RETURNING id`,
    [request.profile, request.cutOff, request.origin, request.requestedBy, request.requestedAt],
  );
  const id = rows[0]?.id;
  if (!id) return null;
  if (request.enqueue === false) return id;
  await addToOutbox(em, [
    { name: JobName.GenerateExport, payload: { exportId: id }, jobId: exportJobId(id) },
  ]);
  return id;
}

/**
 * The worker's side of the schedule: the monthly job asks for both profiles with the day before as the
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
        for (const profile of EXPORT_PROFILES) {
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
    const waiting: { id: string }[] = await this.dataSource.query(
      `SELECT e.id FROM audit_export e
        WHERE e.status IN ('queued', 'running') AND e.requested_at < $1
          AND NOT EXISTS (
                SELECT 1 FROM pg_locks l
                 WHERE l.locktype = 'advisory' AND l.objsubid = 2
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND (l.classid, l.objid) = (${generationLock('e.id')[0]}::oid, ${generationLock('e.id')[1]}::oid))`,
      [before],
    );
    if (waiting.length === 0) return;
    await this.queues.enqueueBulk(
      waiting.map(({ id }) => ({
        name: JobName.GenerateExport,
        payload: { exportId: id },
        options: { jobId: exportJobId(id) },
      })),
    );
  }
}
