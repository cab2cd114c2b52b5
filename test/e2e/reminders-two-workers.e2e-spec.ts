import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import {
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, eventually, spawnWorker, startApi, type WorkerProcess } from '../support/apps.js';
import { closeOpenReminders, dischargedWithAppointments } from '../support/reminders.js';

const REMINDERS = 1000;
const APPOINTMENTS = 20;
const KINDS = REMINDERS / APPOINTMENTS;

/**
 * Issue 5: two worker processes (the compiled worker, each running the reminders queue with concurrency 8),
 * 1,000 reminders due at the same moment: each is sent exactly once. Provider calls (lines the `log`
 * provider wrote to the shared message file) = ledger rows = due reminders, and both workers took part.
 *
 * The appointments are real (booked through the api); the 1,000 reminder rows and their outbox rows are
 * written as the reminder planner writes them (50 kinds per appointment, every one due at the same instant),
 * so that the moment is shared without a policy of fifty reminders.
 */
describe('reminders: two worker processes, 1,000 due at once', () => {
  let app: NestFastifyApplication;
  let nurse: SignedIn;
  let db: pg.Client;
  let dir: string;
  let messageFile: string;
  const workers: WorkerProcess[] = [];

  const startWorkerProcess = async () => {
    workers.push(await spawnWorker({ MESSAGE_LOG_FILE: messageFile, OUTBOX_POLL_INTERVAL_MS: '200' }));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecmo-two-workers-'));
    messageFile = join(dir, 'messages.jsonl');
    app = await startApi();
    db = await connect('owner');
    const email = uniqueEmail('two-workers-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Busy Heart');
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await closeOpenReminders(db);
    await db.end();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each of 1,000 reminders due at the same moment exactly once', async () => {
    const appointments: string[] = [];
    while (appointments.length < APPOINTMENTS)
      appointments.push(...(await dischargedWithAppointments(app, nurse.accessToken)));
    await Promise.all([startWorkerProcess(), startWorkerProcess()]);

    // The planner's own reminders are days ahead; these fifty kinds per appointment are due in 3 seconds.
    const { rows: due } = await db.query<{ now: Date }>(`SELECT now() + interval '3 seconds' AS now`);
    const dueAt = due[0].now;
    await db.query('BEGIN');
    await db.query(`SELECT set_config('registry.actor', 'test:two-workers', true)`);
    const { rows: reminders } = await db.query<{ id: string }>(
      `INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
       SELECT a.patient_id, a.id, a.local_date, 10 + k, 'sms', $2, 'pending', 1
         FROM appointment a CROSS JOIN generate_series(1, $3::int) AS k
        WHERE a.id = ANY($1::uuid[])
       RETURNING id`,
      [appointments.slice(0, APPOINTMENTS), dueAt, KINDS],
    );
    expect(reminders).toHaveLength(REMINDERS);
    await db.query(
      `INSERT INTO outbox (job_name, job_id, payload, run_at)
       SELECT 'send-reminder', 'reminder-' || id || '-v1', jsonb_build_object('reminderId', id, 'version', 1), $2
         FROM reminder WHERE id = ANY($1::uuid[])`,
      [reminders.map((r) => r.id), dueAt],
    );
    await db.query('COMMIT');

    const ids = reminders.map((r) => r.id);
    await eventually(
      async () => {
        const { rows } = await db.query<{ open: number }>(
          `SELECT count(*)::int AS open FROM reminder WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'sending')`,
          [ids],
        );
        return rows[0].open === 0 ? true : undefined;
      },
      90_000,
      250,
    );

    const { rows: statuses } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM reminder WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'sent', n: REMINDERS }]);
    const { rows: ledger } = await db.query<{ id: string; reminder_id: string }>(
      `SELECT id, reminder_id FROM reminder_delivery WHERE reminder_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(ledger).toHaveLength(REMINDERS);
    expect(new Set(ledger.map((r) => r.reminder_id)).size).toBe(REMINDERS);

    const calls = readFileSync(messageFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { reference: string });
    expect(calls).toHaveLength(REMINDERS);
    expect(new Set(calls.map((c) => c.reference))).toEqual(new Set(ledger.map((r) => r.id)));

    // Both processes sent some: the work was shared, not merely survived by one.
    const sentBy = workers.map(
      (w) =>
        (w.output().match(/"job":"send-reminder"[^\n]*"job done"|job done[^\n]*send-reminder/g) ?? []).length,
    );
    expect(sentBy.every((n) => n > 0)).toBe(true);
  });
});
