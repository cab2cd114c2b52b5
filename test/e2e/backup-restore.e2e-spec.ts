import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Clock, londonDay } from '../../libs/time/src/index.js';
import { runMigrations } from '../../libs/database/src/migrate.js';
import { parsePostgresUrl } from '../../libs/database/src/postgres-url.js';
import { lockDownDatabase } from '../../libs/database/src/setup.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { JobSchedulerService } from '../../libs/queue/src/index.js';
import { bearer } from '../support/access.js';
import { eventually, testConfig } from '../support/apps.js';
import { daysAgo } from '../support/patients.js';
import { usePrivateDatabase } from '../support/private-database.js';
import { ReminderHarness } from '../support/reminders.js';
import { MIGRATIONS } from '../../migrations/index.js';

const run = promisify(execFile);
const today = () => londonDay(new Date());

/**
 * docs/operations.md's backup and restore, as an operator would run it: `pg_dump -Fc` of a registry in use,
 * `pg_restore` into a new, empty database, the apps started on it with an empty Redis (a new key prefix: the
 * queues are not backed up). Every patient, their history and follow-up, the audit trail and the users are
 * there; the pending reminders get their jobs back from the reconciler and are each sent once.
 */
describe('backup and restore: pg_dump of a registry in use, restored into a new database', () => {
  let original: Awaited<ReturnType<typeof usePrivateDatabase>>;
  let restored: Awaited<ReturnType<typeof usePrivateDatabase>> | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecmo-backup-'));
    original = await usePrivateDatabase('backup');
  });

  afterAll(async () => {
    // In reverse order: each points the environment back to what it was when it was made.
    await restored?.release();
    await original?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds every patient, history, follow-up, audit event and pending reminder after a restore', async () => {
    const prefix = process.env.REDIS_PREFIX!;
    // The registry in use: patients with a correction in their history, appointments with reminders pending.
    const ownerUrl = original.ownerUrl;
    const before = await ReminderHarness.start('backup', { REDIS_PREFIX: `${prefix}-before` });
    const patients: string[] = [];
    const reminders: string[] = [];
    const date = addCalendarDays(today(), 20);
    const snapshot = new Map<string, unknown>();
    // What the original nurse reads of each patient (on the restored database too: same account, same token).
    // Identities are read apart, first: each read is in the patient's history.
    const read = async (h: ReminderHarness, token: string, what: 'identities' | 'records') => {
      const views = new Map<string, unknown>();
      for (const id of patients) {
        const urls =
          what === 'identities'
            ? [`/patients/${id}/identity`]
            : [`/patients/${id}`, `/patients/${id}/history`, `/patients/${id}/follow-up`];
        for (const url of urls) {
          const response = await h.app.inject({ method: 'GET', url, headers: bearer(token) });
          expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
          views.set(url, { body: response.json<unknown>(), etag: response.headers.etag });
        }
      }
      return views;
    };
    const counts = async (h: ReminderHarness) =>
      (
        await h.db.query<Record<string, number>>(
          `SELECT (SELECT count(*)::int FROM patient) AS patients,
                  (SELECT count(*)::int FROM audit_event) AS audit_events,
                  (SELECT count(*)::int FROM app_user) AS users,
                  (SELECT count(*)::int FROM reminder WHERE status = 'pending') AS pending_reminders`,
        )
      ).rows[0];
    let countsBefore: Record<string, number>;
    let trailBefore: { id: string; digest: string }[];
    const trail = async (h: ReminderHarness, upTo?: string) =>
      (
        await h.db.query<{ id: string; digest: string }>(
          `SELECT id::text, md5(a::text) AS digest FROM audit_event a
            WHERE $1::bigint IS NULL OR a.id <= $1::bigint ORDER BY a.id`,
          [upTo ?? null],
        )
      ).rows;
    let nurse: string;
    try {
      for (const phone of ['+44 7700 900801', '+44 7700 900802', '+44 7700 900803']) {
        const id = await before.patientReady({ phone });
        patients.push(id);
        const appointment = await before.book(id, 'day_30', date, '10:00');
        reminders.push(...appointment.reminders.map((r) => r.id));
      }
      // A correction: the history holds the earlier value, who changed it and why.
      const summary = (await before.call('GET', `/patients/${patients[0]}`)).json<{
        ecmoRuns: { id: string }[];
      }>();
      const runUrl = `/patients/${patients[0]}/ecmo-runs/${summary.ecmoRuns[0].id}`;
      const current = await before.call('GET', runUrl);
      const corrected = await before.call(
        'PATCH',
        runUrl,
        { endedAt: daysAgo(14), reason: 'decannulation time corrected from the perfusion record' },
        { 'if-match': current.headers.etag as string },
      );
      expect(corrected.statusCode).toBe(200);
      await before.relayAll();
      nurse = before.nurse.accessToken;
      for (const [url, view] of await read(before, nurse, 'identities')) snapshot.set(url, view);
      for (const [url, view] of await read(before, nurse, 'records')) snapshot.set(url, view);
      countsBefore = await counts(before);
      trailBefore = await trail(before);
      expect(countsBefore.pending_reminders).toBe(reminders.length);

      // The backup, taken while the apps run (pg_dump reads one snapshot).
      await run('pg_dump', ['--format=custom', '--file', join(dir, 'registry.dump'), ownerUrl]);
    } finally {
      await before.close();
    }

    // The restore: a new, empty database owned by the owner role; pg_restore as that role; then `setup`'s
    // last steps (lock the database down, migrate: nothing to do).
    restored = await usePrivateDatabase('restored', { empty: true });
    const restoredOwnerUrl = restored.ownerUrl;
    await run('pg_restore', [
      '--no-owner',
      '--exit-on-error',
      '--dbname',
      restoredOwnerUrl,
      join(dir, 'registry.dump'),
    ]);
    await lockDownDatabase(
      testConfig().DATABASE_ADMIN_URL,
      restored.name,
      parsePostgresUrl(restoredOwnerUrl).user,
    );
    expect(await runMigrations(restoredOwnerUrl, MIGRATIONS)).toEqual([]);

    // The apps on the restored database, with an empty Redis: the same users sign in with the same tokens.
    const after = await ReminderHarness.start('restored', {
      REDIS_PREFIX: `${prefix}-after`,
      REMINDER_RECONCILE_INTERVAL_MS: '1000',
    });
    try {
      const views = new Map([
        ...(await read(after, nurse!, 'records')),
        ...(await read(after, nurse!, 'identities')),
      ]);
      for (const [url, view] of snapshot) expect({ url, view: views.get(url) }).toEqual({ url, view });
      // The new harness added its own admin, site and nurse, and the reads above wrote their audit events.
      const countsAfter = await counts(after);
      expect(countsAfter.patients).toBe(countsBefore!.patients);
      expect(countsAfter.pending_reminders).toBe(countsBefore!.pending_reminders);
      expect(countsAfter.audit_events).toBeGreaterThan(countsBefore!.audit_events);
      // The audit trail is the same, event for event, and new events follow it.
      expect(await trail(after, trailBefore!.at(-1)!.id)).toEqual(trailBefore!);

      // Redis had nothing: the schedulers come back, the reconciler gives each due reminder a job, sent once.
      await after.worker.get(JobSchedulerService).restoreMissing();
      after.worker.get(Clock).advanceTo(new Date(reminderInstant(date, 1, '09:00').getTime() + 60_000));
      await eventually(
        async () => {
          const { rows } = await after.db.query<{ open: number }>(
            `SELECT count(*)::int AS open FROM reminder WHERE id = ANY($1::uuid[]) AND status <> 'sent'`,
            [reminders],
          );
          return rows[0].open === 0 ? true : undefined;
        },
        30_000,
        200,
      );
      const { rows: ledger } = await after.db.query<{ reminder_id: string }>(
        `SELECT reminder_id FROM reminder_delivery WHERE reminder_id = ANY($1::uuid[])`,
        [reminders],
      );
      expect(ledger.map((r) => r.reminder_id).sort()).toEqual([...reminders].sort());
    } finally {
      await after.close();
    }
  }, 120_000);
});
