import type { AppConfig } from '../../../libs/config/src/index.js';
import { JobName, type JobSchedule } from '../../../libs/queue/src/index.js';
import { REGISTRY_TIME_ZONE } from '../../../libs/time/src/index.js';

/** Exports left waiting (their job lost with Redis's data) are re-enqueued this often. */
const RECONCILE_EXPORTS_EVERY_MS = 10 * 60_000;

/**
 * Every repeating job, in one place; the worker hands them to the queue lib, which upserts them at boot
 * (BullMQ 6 has no repeatable jobs).
 */
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
