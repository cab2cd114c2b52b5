import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { PatientIdentities } from '../../libs/registry/src/index.js';
import {
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, eventually, spawnApp, startApi, type AppProcess } from '../support/apps.js';
import { enrolment } from '../support/patients.js';
import { closeOpenReminders, dischargedWithAppointments } from '../support/reminders.js';

/**
 * Issue 7's fault injection: the compiled api and worker told to stop (SIGTERM, as an orchestrator stops a
 * container) in the middle of their work. The api finishes the requests it has accepted before it exits, so
 * every acknowledged enrolment is there whole and nothing answered otherwise was written; the worker finishes
 * the reminders it is sending, leaves none half-sent, and the next worker sends the rest, each once.
 */
describe('fault injection: api and worker stopped with SIGTERM mid-load', () => {
  let app: NestFastifyApplication;
  let nurse: SignedIn;
  let db: pg.Client;
  let dir: string;
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecmo-sigterm-'));
    app = await startApi();
    db = await connect('owner');
    const email = uniqueEmail('sigterm-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Stopping Heart');
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
  }, 60_000);

  afterAll(async () => {
    for (const child of processes) await child.stop();
    await closeOpenReminders(db);
    await db.end();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('api: requests in flight at SIGTERM are answered, every acknowledged write is whole, it exits in time', async () => {
    const api = await spawnApp('api');
    processes.push(api);
    const identities = app.get(PatientIdentities);
    const bodies = Array.from({ length: 40 }, () => enrolment());
    const exited = once(api.process, 'exit');
    const answers = bodies.map((body): Promise<{ status: number; body: { id?: string } }> =>
      fetch(`http://127.0.0.1:${api.port}/patients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${nurse.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { id?: string } }),
        () => ({ status: 0, body: {} }),
      ),
    );
    // Stopped once the first enrolments are saved, with the rest in flight or still to come.
    await eventually(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM patient_key WHERE nhs_number_hash = ANY($1::bytea[])`,
          [bodies.map((b) => identities.nhsNumberHash((b.identity as { nhsNumber: string }).nhsNumber))],
        );
        return rows[0].n >= 3 ? true : undefined;
      },
      20_000,
      10,
    );
    const stopped = Date.now();
    api.process.kill('SIGTERM');
    const settled = await Promise.all(answers);
    const [code, signal] = (await exited) as [number | null, string | null];
    // Nest runs the shutdown hooks (the server stops accepting, waits for the requests in flight, closes the
    // pools), then raises the signal again on itself: a graceful exit shows as the signal, not as a code.
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    // And it exits well within the grace period an orchestrator gives (SHUTDOWN_TIMEOUT_MS, 15 s by default).
    expect(Date.now() - stopped).toBeLessThan(15_000);

    // Answered 201, or refused without a trace: 503 while closing, or a connection it never accepted.
    const statuses = new Set(settled.map((a) => a.status));
    expect([...statuses].every((s) => s === 201 || s === 503 || s === 0)).toBe(true);
    const acknowledged = settled.filter((a) => a.status === 201);
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    const { rows } = await db.query<{ nhs: Buffer; whole: boolean }>(
      `SELECT k.nhs_number_hash AS nhs,
              EXISTS (SELECT 1 FROM ecmo_run r WHERE r.patient_id = p.id)
              AND EXISTS (SELECT 1 FROM index_operation o WHERE o.patient_id = p.id)
              AND EXISTS (SELECT 1 FROM consent_event c WHERE c.patient_id = p.id)
              AND EXISTS (SELECT 1 FROM audit_event e WHERE e.entity_type = 'patient' AND e.entity_id = p.id::text
                                                      AND e.action = 'insert') AS whole
         FROM patient p JOIN patient_key k ON k.patient_id = p.id
        WHERE k.nhs_number_hash = ANY($1::bytea[])`,
      [bodies.map((b) => identities.nhsNumberHash((b.identity as { nhsNumber: string }).nhsNumber))],
    );
    // Exactly the acknowledged enrolments were saved, each whole.
    expect(rows).toHaveLength(acknowledged.length);
    expect(rows.every((r) => r.whole)).toBe(true);
    const saved = new Set(acknowledged.map((a) => a.body.id));
    const { rows: ids } = await db.query<{ id: string }>(
      `SELECT patient_id AS id FROM patient_key WHERE nhs_number_hash = ANY($1::bytea[])`,
      [bodies.map((b) => identities.nhsNumberHash((b.identity as { nhsNumber: string }).nhsNumber))],
    );
    expect(new Set(ids.map((r) => r.id))).toEqual(saved);
  }, 90_000);

  it('worker: reminders being sent at SIGTERM are finished, none is left half-sent, the next worker sends the rest once', async () => {
    const messageFile = join(dir, 'messages.jsonl');
    const env = { MESSAGE_LOG_FILE: messageFile, OUTBOX_POLL_INTERVAL_MS: '200' };
    // Ten appointments (every visit of two discharged patients), booked through the api.
    const appointments: string[] = [];
    for (let p = 0; p < 2; p++)
      appointments.push(...(await dischargedWithAppointments(app, nurse.accessToken)));
    const first = await spawnApp('worker', env);
    processes.push(first);

    // 400 reminders (forty kinds per appointment) due in two seconds, written as the planner writes them (rows and outbox rows together).
    await db.query('BEGIN');
    await db.query(`SELECT set_config('registry.actor', 'test:sigterm', true)`);
    const { rows: reminders } = await db.query<{ id: string }>(
      `INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
       SELECT a.patient_id, a.id, a.local_date, 10 + k, 'sms', now() + interval '2 seconds', 'pending', 1
         FROM appointment a CROSS JOIN generate_series(1, 40) AS k
        WHERE a.id = ANY($1::uuid[])
       RETURNING id`,
      [appointments],
    );
    await db.query(
      `INSERT INTO outbox (job_name, job_id, payload, run_at)
       SELECT 'send-reminder', 'reminder-' || id || '-v1', jsonb_build_object('reminderId', id, 'version', 1),
              now() + interval '2 seconds'
         FROM reminder WHERE id = ANY($1::uuid[])`,
      [reminders.map((r) => r.id)],
    );
    await db.query('COMMIT');
    const ids = reminders.map((r) => r.id);
    const sentSoFar = () =>
      existsSync(messageFile) ? readFileSync(messageFile, 'utf8').split('\n').filter(Boolean).length : 0;

    // Stopped in the middle of sending.
    await eventually(() => Promise.resolve(sentSoFar() >= 20 ? true : undefined), 30_000, 5);
    const exited = once(first.process, 'exit');
    first.process.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    const stoppedAt = sentSoFar();
    expect(stoppedAt).toBeLessThan(ids.length);
    // Nothing half-sent: every reminder it began is settled, sent with its ledger row, or not begun.
    const { rows: midway } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM reminder WHERE id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
      [ids],
    );
    expect(midway.map((r) => r.status).every((s) => s === 'sent' || s === 'pending')).toBe(true);
    const { rows: open } = await db.query(
      `SELECT 1 FROM reminder_delivery WHERE reminder_id = ANY($1::uuid[]) AND outcome IS NULL`,
      [ids],
    );
    expect(open).toHaveLength(0);
    expect(midway.find((r) => r.status === 'sent')?.n).toBe(stoppedAt);

    // The next worker sends the rest: each reminder once.
    processes.push(await spawnApp('worker', env));
    await eventually(
      async () => {
        const { rows } = await db.query<{ open: number }>(
          `SELECT count(*)::int AS open FROM reminder WHERE id = ANY($1::uuid[]) AND status <> 'sent'`,
          [ids],
        );
        return rows[0].open === 0 ? true : undefined;
      },
      60_000,
      250,
    );
    const calls = readFileSync(messageFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { reference: string });
    expect(calls).toHaveLength(ids.length);
    const { rows: ledger } = await db.query<{ id: string }>(
      `SELECT id FROM reminder_delivery WHERE reminder_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(new Set(calls.map((c) => c.reference))).toEqual(new Set(ledger.map((r) => r.id)));
    expect(ledger).toHaveLength(ids.length);
  }, 120_000);
});
