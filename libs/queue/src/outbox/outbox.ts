import type { EntityManager } from 'typeorm';
import { assertValidJobId, type JobName, type JobPayloads } from '../job-catalogue.js';

/** A job to enqueue once the transaction that wrote it commits. */
export interface OutboxJob<N extends JobName = JobName> {
  readonly name: N;
  /** Ids only: the processor re-reads the rows. */
  readonly payload: JobPayloads[N];
  /** The job's BullMQ id: the same id twice is one job, so a job relayed twice runs once. */
  readonly jobId: string;
  /** When the job should run (a delayed job); now if absent. */
  readonly runAt?: Date;
}

/**
 * Writes jobs to the outbox in the caller's transaction: they reach BullMQ (through the worker's relay) if
 * and only if the change that needs them commits. Nothing is sent to Redis from inside a transaction.
 */
export async function addToOutbox(em: EntityManager, jobs: readonly OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const values: unknown[] = [];
  const rows = jobs.map((job, i) => {
    assertValidJobId(job.jobId);
    values.push(job.name, job.jobId, JSON.stringify(job.payload), job.runAt ?? null);
    return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}::jsonb, $${i * 4 + 4}::timestamptz)`;
  });
  await em.query(`INSERT INTO outbox (job_name, job_id, payload, run_at) VALUES ${rows.join(', ')}`, values);
}
