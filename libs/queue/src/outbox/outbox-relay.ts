import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { Clock } from '../../../time/src/index.js';
import type { JobName } from '../job-catalogue.js';
import { QueueService } from '../queue.service.js';
import { errorMessage } from '../../../observability/src/index.js';

/** Outbox rows moved per transaction. */
const BATCH = 500;
/** Relayed rows are kept this long (to see what was enqueued when), then pruned. */
const KEEP_RELAYED_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

interface OutboxRow {
  id: string;
  job_name: JobName;
  job_id: string;
  payload: object;
  run_at: Date | null;
}

/**
 * The worker's outbox relay: claims committed outbox rows (FOR UPDATE SKIP LOCKED, so several workers share
 * the work without taking the same row), adds them to BullMQ as (delayed) jobs with their ids, and marks them
 * relayed in the same transaction. If Redis refuses, the transaction rolls back and the rows wait for the next
 * look; if the commit fails after Redis accepted, the next look adds the same ids again, which BullMQ ignores.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPrune = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly queues: QueueService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.loop().finally(() => (this.running = undefined));
    }, ms);
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && (await this.relayOnce()) === BATCH);
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) await this.prune();
    } catch (error) {
      this.logger.warn({ reason: errorMessage(error) }, 'outbox relay failed; retrying');
    }
    this.schedule(this.config.OUTBOX_POLL_INTERVAL_MS);
  }

  /** Relays up to one batch; answers how many rows it moved. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const rows = await em.query<OutboxRow[]>(
        `SELECT id, job_name, job_id, payload, run_at FROM outbox
          WHERE relayed_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      const now = this.clock.now().getTime();
      await this.queues.enqueueBulk(
        rows.map((row) => ({
          name: row.job_name,
          payload: row.payload,
          options: {
            jobId: row.job_id,
            delay: row.run_at ? Math.max(0, new Date(row.run_at).getTime() - now) : 0,
          },
        })),
      );
      await em.query(`UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      return rows.length;
    });
  }

  private async prune(): Promise<void> {
    this.lastPrune = Date.now();
    await this.dataSource.query(`DELETE FROM outbox WHERE relayed_at < now() - $1::interval`, [
      `${KEEP_RELAYED_MS / 1000} seconds`,
    ]);
  }

  /** Before the queues close: no new look starts, the one under way finishes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
