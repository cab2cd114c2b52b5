import type { JobsOptions } from 'bullmq';

/**
 * The typed catalogue of every background job: which queue it runs on, what its payload holds and how it is
 * retried. Payloads carry ids only (never a patient identifier: Redis is not where identity lives), and a
 * processor re-reads the rows it needs. Adding a job means: a name here, its payload type, its options, and
 * exactly one @JobHandler in the worker, or the worker refuses to boot.
 */
export enum QueueName {
  Maintenance = 'maintenance',
  FollowUp = 'follow-up',
  /** Patient reminders: many small, independent jobs that wait on a provider; run with more concurrency. */
  Reminders = 'reminders',
  /** Audit exports: long, heavy jobs, one at a time so the database is not read by two at once. */
  Exports = 'exports',
}

export enum JobName {
  Heartbeat = 'heartbeat',
  FollowUpClock = 'follow-up-clock',
  SendReminder = 'send-reminder',
  ReconcileReminders = 'reconcile-reminders',
  NurseDigest = 'nurse-digest',
  GenerateExport = 'generate-export',
  ScheduleExports = 'schedule-exports',
  ReconcileExports = 'reconcile-exports',
}

export interface JobPayloads {
  /** Written by the scheduler; the job id is the idempotency key of the effect. */
  readonly [JobName.Heartbeat]: Readonly<Record<string, never>>;
  /** Written by the scheduler: the processor reads the day from the clock and the visits from the database. */
  readonly [JobName.FollowUpClock]: Readonly<Record<string, never>>;
  /**
   * Written by the outbox relay (or the reconciler): the reminder and the version it was queued for. The
   * processor acts only while the row is still pending at that version; the job id carries both.
   */
  readonly [JobName.SendReminder]: Readonly<{ reminderId: string; version: number }>;
  /** Written by the scheduler. */
  readonly [JobName.ReconcileReminders]: Readonly<Record<string, never>>;
  /** Written by the scheduler: the processor reads the day from the clock and the worklists from the database. */
  readonly [JobName.NurseDigest]: Readonly<Record<string, never>>;
  /** Written by the outbox relay (or the reconciler): the export row to generate, which says everything else. */
  readonly [JobName.GenerateExport]: Readonly<{ exportId: string }>;
  /** Written by the scheduler: the processor takes the cut-off from the clock. */
  readonly [JobName.ScheduleExports]: Readonly<Record<string, never>>;
  /** Written by the scheduler. */
  readonly [JobName.ReconcileExports]: Readonly<Record<string, never>>;
}

export interface JobDefinition {
  readonly queue: QueueName;
  readonly options: JobsOptions;
}

/** A scheduled sweep that recomputes from the database: a failed run is retried, and the next one catches up. */
const SWEEP_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 1000 },
};

export const JOB_CATALOGUE: { readonly [N in JobName]: JobDefinition } = {
  [JobName.Heartbeat]: {
    queue: QueueName.Maintenance,
    // A missed heartbeat is replaced by the next one: retry briefly, keep a short history for inspection.
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 1000 },
    },
  },
  [JobName.FollowUpClock]: {
    queue: QueueName.FollowUp,
    // Idempotent (it recomputes states from the database): a failed run is retried, and the next one
    // catches up anyway.
    options: SWEEP_OPTIONS,
  },
  [JobName.SendReminder]: {
    queue: QueueName.Reminders,
    // A failure before the ledger claim (database briefly away, not yet due by a few ms of clock skew) is
    // safe to retry: 6 attempts 10 s apart doubling is about 10 minutes, after which the reconciler takes
    // over. Finished jobs are kept a while for inspection (ids only); the reconciler re-adds a lost one.
    options: {
      attempts: 6,
      backoff: { type: 'exponential', delay: 10_000 },
      removeOnComplete: { count: 5000 },
      removeOnFail: { count: 5000 },
    },
  },
  [JobName.ReconcileReminders]: {
    queue: QueueName.FollowUp,
    // Idempotent (it re-reads the reminders); the next run catches up anyway.
    options: SWEEP_OPTIONS,
  },
  [JobName.NurseDigest]: {
    queue: QueueName.FollowUp,
    // Idempotent (the ledger holds one digest per site, day and nurse); the next run catches up anyway.
    options: SWEEP_OPTIONS,
  },
  [JobName.GenerateExport]: {
    queue: QueueName.Exports,
    // A failed generation (database restarted, disk briefly full) is retried from scratch: 3 attempts 1, then
    // 2 minutes apart. The export row says `failed` after the last; a new request makes a new version.
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 60_000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  },
  [JobName.ScheduleExports]: {
    queue: QueueName.Maintenance,
    // Idempotent (one scheduled export per cut-off and profile, by a unique index).
    options: SWEEP_OPTIONS,
  },
  [JobName.ReconcileExports]: {
    queue: QueueName.Maintenance,
    // Idempotent (re-adds the job of an export still waiting; BullMQ ignores an id it holds).
    options: SWEEP_OPTIONS,
  },
};

/** Worker concurrency per queue. */
export const QUEUE_CONCURRENCY: { readonly [Q in QueueName]: number } = {
  [QueueName.Maintenance]: 2,
  [QueueName.FollowUp]: 2,
  // Each reminder job spends most of its time waiting on PostgreSQL or the provider.
  [QueueName.Reminders]: 8,
  [QueueName.Exports]: 1,
};

export function queueOf(name: JobName): QueueName {
  return JOB_CATALOGUE[name].queue;
}

/** BullMQ keys are joined with ':', and a duplicate id is silently ignored: ids are checked before use. */
export function assertValidJobId(jobId: string): void {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(jobId)) {
    throw new Error(`Invalid job id "${jobId}": use letters, digits, _, . and - only (no ':')`);
  }
}
