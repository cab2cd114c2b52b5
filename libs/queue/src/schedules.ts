import type { RepeatOptions } from 'bullmq';
import type { AppConfig } from '../../config/src/index.js';
import { REGISTRY_TIME_ZONE } from '../../registry/src/rules/instant.js';
import { JobName } from './job-catalogue.js';
/** Exports left waiting (their job lost with Redis's data) are re-enqueued this often. */
const RECONCILE_EXPORTS_EVERY_MS = 10 * 60_000;

export interface JobSchedule {
  /** Scheduler id: stable, so upserting at every boot replaces the previous definition instead of adding one. */
  readonly id: string;
  readonly job: JobName;
  readonly repeat: Omit<RepeatOptions, 'key'>;
}

/** Every repeating job, in one place; the worker upserts them at boot (BullMQ 6 has no repeatable jobs). */
export function jobSchedules(config: AppConfig): JobSchedule[] {
  return [
    { id: 'heartbeat', job: JobName.Heartbeat, repeat: { every: config.HEARTBEAT_INTERVAL_MS } },
    {
      id: 'follow-up-clock',
      job: JobName.FollowUpClock,
      repeat: { every: config.FOLLOW_UP_CLOCK_INTERVAL_MS },
    },
    {
      id: 'reconcile-reminders',
      job: JobName.ReconcileReminders,
      repeat: { every: config.REMINDER_RECONCILE_INTERVAL_MS },
    },
    ...(config.NURSE_DIGEST_ENABLED
      ? [
          {
            id: 'nurse-digest',
            job: JobName.NurseDigest,
            repeat: { every: config.NURSE_DIGEST_CHECK_INTERVAL_MS },
          },
        ]
      : []),
    ...(config.EXPORT_SCHEDULE === 'off'
      ? []
      : [
          {
            // In the registry's zone: the monthly export runs at 02:00 London time, summer or winter.
            id: 'schedule-exports',
            job: JobName.ScheduleExports,
            repeat: { pattern: config.EXPORT_SCHEDULE, tz: REGISTRY_TIME_ZONE },
          },
        ]),
    { id: 'reconcile-exports', job: JobName.ReconcileExports, repeat: { every: RECONCILE_EXPORTS_EVERY_MS } },
  ];
}
