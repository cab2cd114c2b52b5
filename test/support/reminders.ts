import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Job } from 'bullmq';
import type pg from 'pg';
import { Clock, londonDay } from '../../libs/time/src/index.js';
import { addCalendarDays } from '../../libs/time/src/local-time.js';
import { OutboxRelay, QueueName, QueueService } from '../../libs/queue/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from './access.js';
import { connect, eventually, startApi, startWorker } from './apps.js';
import { daysAgo, enrol, testNhsNumber } from './patients.js';

export interface ReminderView {
  id: string;
  daysBefore: number;
  channel: string;
  dueAt: string;
  status: string;
  statusReason: string | null;
}
export interface AppointmentView {
  id: string;
  version: number;
  date: string;
  time: string;
  status: string;
  reminders: ReminderView[];
}
export interface Visit {
  id: string;
  code: string;
  status: string;
  statusReason: string | null;
  appointments: AppointmentView[];
}
/** A reminder's row in the delivery ledger. */
export interface LedgerRow {
  id: string;
  days_before: number;
  provider: string;
  provider_ref: string | null;
  outcome: string | null;
}

/**
 * Closes every reminder still open in this Jest worker's database, so that the next test file sharing the
 * database and Redis prefix neither sends them (their jobs find them closed) nor reconciles them.
 */
export async function closeOpenReminders(db: pg.Client): Promise<void> {
  await db.query('BEGIN');
  await db.query(`SELECT set_config('registry.actor', 'test:cleanup', true)`);
  await db.query(
    `UPDATE reminder SET status = 'cancelled', status_reason = 'test_ended', version = version + 1
      WHERE status = 'pending'`,
  );
  await db.query(
    `UPDATE reminder_delivery SET outcome = 'unknown', outcome_at = now(), detail = 'test ended'
      WHERE outcome IS NULL`,
  );
  await db.query(
    `UPDATE reminder SET status = 'unknown', status_reason = 'test_ended', version = version + 1
      WHERE status = 'sending'`,
  );
  await db.query('COMMIT');
}

/**
 * A patient enrolled by `token`'s nurse, off ECMO 15 days ago and discharged home 3 days ago, with every
 * planned visit booked (telephone, 10:00, 30 days ahead and on): the appointment ids, in visit order.
 */
export async function dischargedWithAppointments(
  app: NestFastifyApplication,
  token: string,
): Promise<string[]> {
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers = {}) =>
    app.inject({
      method,
      url,
      payload: payload as Record<string, unknown>,
      headers: { ...bearer(token), ...headers },
    });
  const patient = await enrol(app, token);
  const summary = (await call('GET', `/patients/${patient.id}`)).json<{ ecmoRuns: Array<{ id: string }> }>();
  const runUrl = `/patients/${patient.id}/ecmo-runs/${summary.ecmoRuns[0].id}`;
  const read = await call('GET', runUrl);
  const ended = await call(
    'PATCH',
    runUrl,
    { endedAt: daysAgo(15), endReason: 'weaned', reason: 'decannulated' },
    { 'if-match': read.headers.etag as string },
  );
  expect(ended.statusCode).toBe(200);
  const discharged = await call('POST', `/patients/${patient.id}/outcome`, {
    kind: 'discharge',
    occurredAt: daysAgo(3),
    destination: 'home',
  });
  expect(discharged.statusCode).toBe(201);
  const plan = (await call('GET', `/patients/${patient.id}/follow-up`)).json<{
    visits: Array<{ id: string }>;
  }>();
  const ids: string[] = [];
  for (const [i, visit] of plan.visits.entries()) {
    const booked = await call('POST', `/patients/${patient.id}/appointments`, {
      visitId: visit.id,
      date: addCalendarDays(londonDay(new Date()), 30 + i),
      time: '10:00',
      mode: 'telephone',
    });
    expect(booked.statusCode).toBe(201);
    ids.push(booked.json<{ id: string }>().id);
  }
  return ids;
}

export const REQUIRED_VISITS = ['discharge', 'day_30', 'month_3', 'month_6', 'month_12'];

/**
 * An api and a worker on this Jest worker's database and Redis prefix, a site and its research nurse, and the
 * steps of the reminder tests: a patient ready for follow-up, bookings and moves through the api, and time
 * passing for the worker (its clock moved forward, the due delayed jobs promoted).
 */
export class ReminderHarness {
  private constructor(
    readonly app: NestFastifyApplication,
    private readonly inProcessWorker: NestFastifyApplication | undefined,
    readonly nurse: SignedIn,
    readonly db: pg.Client,
    readonly admin: SignedIn,
    readonly siteId: string,
  ) {}

  /** `inProcessWorker: false` for a test that runs compiled worker processes of its own. */
  static async start(
    name: string,
    overrides: Record<string, string> = {},
    options: { inProcessWorker?: boolean } = {},
  ): Promise<ReminderHarness> {
    const settings = { OUTBOX_POLL_INTERVAL_MS: '100', ...overrides };
    const app = await startApi(settings);
    const worker = options.inProcessWorker === false ? undefined : await startWorker(settings);
    const db = await connect('owner');
    const email = uniqueEmail(`${name}-admin`);
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, `${name} Heart`);
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
    return new ReminderHarness(app, worker, nurse, db, admin, site.id);
  }

  /** The same api, worker and database, seen by another site's nurse: close this harness, not that one. */
  async anotherSite(name: string): Promise<ReminderHarness> {
    const site = await createSite(this.app, this.admin.accessToken, `${name} Heart`);
    const nurse = await createUser(this.app, this.admin.accessToken, 'research_nurse', [site.id]);
    return new ReminderHarness(this.app, this.inProcessWorker, nurse, this.db, this.admin, site.id);
  }

  get worker(): NestFastifyApplication {
    if (!this.inProcessWorker) throw new Error('this harness has no in-process worker');
    return this.inProcessWorker;
  }

  /**
   * Leaves nothing for the next test file of this Jest worker (same database, same Redis prefix): open
   * reminders closed, and the reminders queue emptied, a job a killed worker left active included.
   */
  async close(): Promise<void> {
    await closeOpenReminders(this.db);
    await this.db.end();
    await this.inProcessWorker?.close();
    await this.app.get(QueueService).queue(QueueName.Reminders).obliterate({ force: true });
    await this.app.close();
  }

  call(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    return this.app.inject({
      method,
      url,
      payload,
      headers: { ...bearer(this.nurse.accessToken), ...headers },
    });
  }

  async visits(patientId: string): Promise<Visit[]> {
    const response = await this.call('GET', `/patients/${patientId}/follow-up`);
    expect(response.statusCode).toBe(200);
    return response.json<{ visits: Visit[] }>().visits;
  }

  async visit(patientId: string, code: string): Promise<Visit> {
    return (await this.visits(patientId)).find((v) => v.code === code)!;
  }

  /**
   * A patient off ECMO 15 days ago, the five visits planned; discharged 3 days ago unless told otherwise (the
   * ECMO start, decannulation and discharge can be moved further back).
   */
  async patientReady(
    options: {
      discharged?: boolean;
      channel?: 'sms' | 'email';
      phone?: string;
      email?: string;
      daysAgo?: { start: number; decannulation: number; discharge: number };
    } = {},
  ): Promise<string> {
    const days = options.daysAgo ?? { start: 20, decannulation: 15, discharge: 3 };
    const patient = await enrol(
      this.app,
      this.nurse.accessToken,
      {
        identity: {
          nhsNumber: testNhsNumber(),
          familyName: 'Reminded',
          givenName: 'Robin',
          dateOfBirth: '1961-02-03',
          phone: options.phone ?? '+44 7700 900456',
          email: options.email ?? 'robin.reminded@example.org',
          reminderChannel: options.channel ?? 'sms',
        },
      },
      days.start,
    );
    const summary = (await this.call('GET', `/patients/${patient.id}`)).json<{
      ecmoRuns: Array<{ id: string }>;
    }>();
    const runUrl = `/patients/${patient.id}/ecmo-runs/${summary.ecmoRuns[0].id}`;
    const read = await this.call('GET', runUrl);
    const ended = await this.call(
      'PATCH',
      runUrl,
      { endedAt: daysAgo(days.decannulation), endReason: 'weaned', reason: 'decannulated in theatre' },
      { 'if-match': read.headers.etag as string },
    );
    expect(ended.statusCode).toBe(200);
    expect((await this.visits(patient.id)).map((v) => v.code)).toEqual(REQUIRED_VISITS);
    if (options.discharged !== false) await this.discharge(patient.id, days.discharge);
    return patient.id;
  }

  async discharge(patientId: string, dischargedDaysAgo = 3): Promise<void> {
    const response = await this.call('POST', `/patients/${patientId}/outcome`, {
      kind: 'discharge',
      occurredAt: daysAgo(dischargedDaysAgo),
      destination: 'home',
    });
    expect(response.statusCode).toBe(201);
  }

  async book(patientId: string, code: string, date: string, time: string): Promise<AppointmentView> {
    const response = await this.call('POST', `/patients/${patientId}/appointments`, {
      visitId: (await this.visit(patientId, code)).id,
      date,
      time,
      mode: 'clinic',
      place: 'Outpatients 4',
    });
    expect(response.statusCode).toBe(201);
    return response.json<AppointmentView>();
  }

  async move(
    patientId: string,
    appointment: AppointmentView,
    date: string,
    time: string,
  ): Promise<AppointmentView> {
    const url = `/patients/${patientId}/appointments/${appointment.id}`;
    const current = await this.call('GET', url);
    const response = await this.call(
      'PATCH',
      url,
      { date, time, reason: 'the patient asked' },
      { 'if-match': current.headers.etag as string },
    );
    expect(response.statusCode).toBe(200);
    return response.json<AppointmentView>();
  }

  /** The delivery ledger of an appointment's reminders, the week-before first. */
  async ledger(appointmentId: string): Promise<LedgerRow[]> {
    const { rows } = await this.db.query<LedgerRow>(
      `SELECT d.id, r.days_before, d.provider, d.provider_ref, d.outcome FROM reminder_delivery d
         JOIN reminder r ON r.id = d.reminder_id WHERE r.appointment_id = $1
        ORDER BY r.days_before DESC, d.claimed_at`,
      [appointmentId],
    );
    return rows;
  }

  async reminderStatus(reminderId: string): Promise<{ status: string; status_reason: string | null }> {
    const { rows } = await this.db.query<{ status: string; status_reason: string | null }>(
      `SELECT status, status_reason FROM reminder WHERE id = $1`,
      [reminderId],
    );
    return rows[0];
  }

  reminderQueue() {
    return this.worker.get(QueueService).queue(QueueName.Reminders);
  }

  /** Every committed outbox row in Redis (the relay's own loop may be moving some right now). */
  relayAll(): Promise<true> {
    return eventually(async () => {
      await this.worker.get(OutboxRelay).relayOnce();
      const { rows } = await this.db.query(`SELECT 1 FROM outbox WHERE relayed_at IS NULL LIMIT 1`);
      return rows.length === 0 ? true : undefined;
    });
  }

  /**
   * Time passes for the worker: its clock reads `instant`, and the delayed reminder jobs Redis holds run if
   * their reminder is due by then, or if they are stale (a version the reminder has moved on from), as they
   * would once their delay ran out. Then waits for the reminders queue to be idle.
   */
  async passTime(instant: Date): Promise<void> {
    this.worker.get(Clock).advanceTo(instant);
    await this.relayAll();
    const delayed: Job[] = await this.reminderQueue().getDelayed();
    for (const job of delayed) {
      const data = job.data as { reminderId: string; version: number };
      const { rows } = await this.db.query<{ version: number; status: string; due_at: Date }>(
        `SELECT version, status, due_at FROM reminder WHERE id = $1`,
        [data.reminderId],
      );
      const row = rows[0];
      const stale = !row || row.version !== data.version || row.status !== 'pending';
      if (stale || row.due_at.getTime() <= instant.getTime()) await job.promote();
    }
    await this.idle();
  }

  /**
   * Waits until every one of the reminders is sent, then checks that each was sent once: one ledger row
   * each, and exactly their ledger references among `arrived` (what the provider took for their recipients).
   */
  async expectEachSentOnce(
    reminderIds: readonly string[],
    arrived: () => ReadonlyArray<{ reference?: string | null }>,
    timeoutMs = 20_000,
  ): Promise<void> {
    await eventually(
      async () => {
        const { rows } = await this.db.query<{ open: number }>(
          `SELECT count(*)::int AS open FROM reminder WHERE id = ANY($1::uuid[]) AND status <> 'sent'`,
          [reminderIds],
        );
        return rows[0].open === 0 ? true : undefined;
      },
      timeoutMs,
      200,
    );
    const { rows: ledger } = await this.db.query<{ id: string }>(
      `SELECT id FROM reminder_delivery WHERE reminder_id = ANY($1::uuid[])`,
      [reminderIds],
    );
    expect(ledger).toHaveLength(reminderIds.length);
    const messages = arrived();
    expect(messages).toHaveLength(reminderIds.length);
    expect(new Set(messages.map((m) => m.reference))).toEqual(new Set(ledger.map((r) => r.id)));
  }

  /** Waits until the reminders queue has nothing waiting or running. */
  idle(timeoutMs = 10000): Promise<true> {
    return eventually(async () => {
      const counts = await this.reminderQueue().getJobCounts('waiting', 'active', 'prioritized');
      return counts.waiting + counts.active + counts.prioritized === 0 ? true : undefined;
    }, timeoutMs);
  }
}

/**
 * A reminder (10 days before, on `channel`) due in a second, written as the planner writes one: the row and
 * its outbox job in one transaction, audited as `actor`. Answers the reminder's id.
 */
export async function insertDueReminder(
  db: pg.Client,
  patientId: string,
  appointmentId: string,
  channel: 'sms' | 'email',
  actor: string,
): Promise<string> {
  await db.query('BEGIN');
  await db.query(`SELECT set_config('registry.actor', $1, true)`, [actor]);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
     SELECT $1, $2, local_date, 10, $3, now() + interval '1 second', 'pending', 1 FROM appointment WHERE id = $2
     RETURNING id`,
    [patientId, appointmentId, channel],
  );
  const reminderId = rows[0].id;
  await db.query(
    `INSERT INTO outbox (job_name, job_id, payload, run_at)
     VALUES ('send-reminder', $2, jsonb_build_object('reminderId', $1::text, 'version', 1), now() + interval '1 second')`,
    [reminderId, `reminder-${reminderId}-v1`],
  );
  await db.query('COMMIT');
  return reminderId;
}
