import pg from 'pg';
import { addCalendarDays } from '../../libs/time/src/local-time.js';
import { QueueName, QueueService } from '../../libs/queue/src/index.js';
import { PatientIdentities } from '../../libs/registry/src/index.js';
import { bearer } from '../support/access.js';
import { eventually } from '../support/apps.js';
import { FakeNotify } from '../support/fake-notify.js';
import { enrolment } from '../support/patients.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { ReminderHarness } from '../support/reminders.js';
import { londonDay } from '../../libs/time/src/index.js';

interface Answer {
  status: number;
  detail?: string;
  id?: string;
  nhsNumber: string;
  phase: 'before' | 'down' | 'after';
}

const NOTHING_CHANGED = /nothing was changed/;
const MAYBE_SAVED = /may or may not have been saved/;
const SAVED = /The change was saved/;

/**
 * Issue 7's fault injection: PostgreSQL killed with `pg_ctl stop -m immediate` (SIGQUIT to the postmaster of
 * a cluster of the test's own: no checkpoint, crash recovery at the next start) while nurses enrol patients
 * and a reminder falls due, then started again. Every enrolment the api acknowledged is there with its audit
 * row; every other answer is a 503 that says either that nothing was changed (and nothing was) or that the
 * commit's outcome is unknown; the api and worker recover by themselves; the reminder is sent once.
 */
describe('fault injection: PostgreSQL crashes (-m immediate) under load and is restarted', () => {
  let server: PrivatePostgres;
  let notify: FakeNotify;
  const saved = { url: process.env.DATABASE_URL, owner: process.env.DATABASE_MIGRATION_URL };

  beforeAll(async () => {
    server = await new PrivatePostgres().init();
    await server.setup();
    const { appUrl, ownerUrl } = server.urls();
    process.env.DATABASE_URL = appUrl;
    process.env.DATABASE_MIGRATION_URL = ownerUrl;
    notify = await new FakeNotify().start();
  }, 60_000);

  afterAll(async () => {
    process.env.DATABASE_URL = saved.url;
    process.env.DATABASE_MIGRATION_URL = saved.owner;
    await notify?.stop();
    await server?.destroy();
  });

  /** A connection as the owner, that survives the crash by being made afresh for each question. */
  async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: server.urls().ownerUrl });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  it('keeps every acknowledged write with its audit row, answers 503 while down, recovers, sends the reminder once', async () => {
    const h = await ReminderHarness.start('pgcrash', {
      ...notify.env(),
      REMINDER_RECONCILE_INTERVAL_MS: '1000',
      DATABASE_POOL_SIZE: '4',
    });
    // The harness's own connection dies with the server: it must not take the test down with it.
    h.db.on('error', () => {});
    try {
      const phone = '+44 7700 900777';
      const patientId = await h.patientReady({ phone });
      const appointment = await h.book(
        patientId,
        'day_30',
        addCalendarDays(londonDay(new Date()), 20),
        '10:00',
      );
      // Three nurses' worth of enrolments, one after another each, until told to stop.
      const answers: Answer[] = [];
      let phase: Answer['phase'] = 'before';
      let stopping = false;
      const writer = async () => {
        while (!stopping) {
          const body = enrolment();
          const nhsNumber = (body.identity as { nhsNumber: string }).nhsNumber;
          const started = phase;
          const response = await h.app.inject({
            method: 'POST',
            url: '/patients',
            headers: bearer(h.nurse.accessToken),
            payload: body,
          });
          const json = response.json<{ id?: string; detail?: string }>();
          answers.push({
            status: response.statusCode,
            id: json.id,
            detail: json.detail,
            nhsNumber,
            phase: started,
          });
          if (response.statusCode === 503) await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const acknowledged = (p: Answer['phase']) => answers.filter((a) => a.status === 201 && a.phase === p);
      const writers = [writer(), writer(), writer()];
      await eventually(() => Promise.resolve(acknowledged('before').length >= 6 ? true : undefined), 30_000);

      // A reminder due in two seconds, written as the planner writes one (row and outbox row together).
      const [{ id: reminderId }] = await query<{ id: string }>(
        `WITH actor AS (SELECT set_config('registry.actor', 'test:pgcrash', false)),
              r AS (INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
                    SELECT $1, $2, (SELECT local_date FROM appointment WHERE id = $2), 10, 'sms',
                           now() + interval '2 seconds', 'pending', 1 FROM actor RETURNING id),
              o AS (INSERT INTO outbox (job_name, job_id, payload, run_at)
                    SELECT 'send-reminder', 'reminder-' || r.id || '-v1',
                           jsonb_build_object('reminderId', r.id::text, 'version', 1), now() + interval '2 seconds'
                      FROM r)
         SELECT id FROM r`,
        [patientId, appointment.id],
      );
      await eventually(async () => {
        const rows = await query(`SELECT 1 FROM outbox WHERE relayed_at IS NULL`);
        return rows.length === 0 ? true : undefined;
      });

      phase = 'down';
      await server.crash();
      const read = await h.call('GET', `/patients/${patientId}`);
      expect({ status: read.statusCode, retryAfter: read.headers['retry-after'] }).toEqual({
        status: 503,
        retryAfter: '5',
      });
      const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json<{ detail: string }>().detail).toContain('database');
      // Down past the reminder's due instant: its job runs, fails, and is retried.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(answers.filter((a) => a.phase === 'down' && a.status === 503).length).toBeGreaterThan(0);

      expect(notify.messages.filter((m) => m.to === phone)).toHaveLength(0);
      await server.start();
      phase = 'after';
      await eventually(
        () => Promise.resolve(acknowledged('after').length >= 6 ? true : undefined),
        30_000,
        100,
      );
      stopping = true;
      await Promise.all(writers);

      // Only 201 and 503: never a 500.
      expect([...new Set(answers.map((a) => a.status))].sort()).toEqual([201, 503]);
      // Every acknowledged enrolment survived the crash, with the audit row of its patient.
      const ids = answers.filter((a) => a.status === 201).map((a) => a.id!);
      const kept = await query<{ id: string; audited: boolean }>(
        `SELECT p.id, EXISTS (SELECT 1 FROM audit_event e WHERE e.entity_type = 'patient'
                                 AND e.entity_id = p.id::text AND e.action = 'insert') AS audited
           FROM patient p WHERE p.id = ANY($1::uuid[])`,
        [ids],
      );
      expect(kept).toHaveLength(ids.length);
      expect(kept.every((row) => row.audited)).toBe(true);
      // A 503 says that nothing was changed, and then there is no such patient; or that the change was saved
      // (the connection went as the saved record was read back for the answer), and then there is; or that
      // the commit's outcome is unknown (the connection went during COMMIT).
      const refused = answers.filter((a) => a.status === 503);
      const saying = (pattern: RegExp) => refused.filter((a) => pattern.test(a.detail ?? ''));
      expect(saying(NOTHING_CHANGED).length + saying(SAVED).length + saying(MAYBE_SAVED).length).toBe(
        refused.length,
      );
      const identities = h.app.get(PatientIdentities);
      const enrolled = async (said: Answer[]) =>
        (
          await query<{ n: number }>(
            `SELECT count(*)::int AS n FROM patient_key WHERE nhs_number_hash = ANY($1::bytea[])`,
            [said.map((a) => identities.nhsNumberHash(a.nhsNumber))],
          )
        )[0].n;
      expect(await enrolled(saying(NOTHING_CHANGED))).toBe(0);
      expect(await enrolled(saying(SAVED))).toBe(saying(SAVED).length);

      // The worker recovered too: the reminder due while PostgreSQL was down is sent, once.
      await eventually(
        async () => {
          const [row] = await query<{ status: string }>(`SELECT status FROM reminder WHERE id = $1`, [
            reminderId,
          ]);
          return row.status === 'sent' ? true : undefined;
        },
        40_000,
        250,
      );
      expect(notify.messages.filter((m) => m.to === phone)).toHaveLength(1);
      const ledger = await query(`SELECT 1 FROM reminder_delivery WHERE reminder_id = $1`, [reminderId]);
      expect(ledger).toHaveLength(1);
      expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await h.db.end().catch(() => undefined);
      await h.worker.close();
      await h.app.get(QueueService).queue(QueueName.Reminders).obliterate({ force: true });
      await h.app.close();
    }
  }, 150_000);
});
