import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Job } from 'bullmq';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { Clock } from '../../libs/config/src/index.js';
import { ReminderReconciler, ReminderSender } from '../../libs/followup/src/reminders/reminder-sender.js';
import { addCalendarDays, reminderInstant } from '../../libs/followup/src/rules/local-time.js';
import { OutboxRelay, QueueName, QueueService } from '../../libs/queue/src/index.js';
import { londonDay } from '../../libs/registry/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, eventually, startApi, startWorker } from '../support/apps.js';
import { daysAgo, enrol, testNhsNumber } from '../support/patients.js';

interface ReminderView {
  id: string;
  daysBefore: number;
  channel: string;
  dueAt: string;
  status: string;
  statusReason: string | null;
}
interface AppointmentView {
  id: string;
  version: number;
  date: string;
  time: string;
  status: string;
  reminders: ReminderView[];
}
interface Visit {
  id: string;
  code: string;
  status: string;
  statusReason: string | null;
  appointments: AppointmentView[];
}
interface Message {
  reference: string;
  channel: string;
  subject?: string;
  body: string;
}

const REQUIRED = ['discharge', 'day_30', 'month_3', 'month_6', 'month_12'];

/** The last Sunday of a month (where Europe/London changes its clocks in March and October). */
function lastSunday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  last.setUTCDate(last.getUTCDate() - last.getUTCDay());
  return last.toISOString().slice(0, 10);
}

/**
 * Issue 5, third slice: reminders planned from the appointments inside the patient's change, carried by the
 * outbox and the relay to delayed BullMQ jobs on the real Redis, sent once through the ledger (the `log`
 * provider writes each message to a file this test reads), never for a moved or cancelled appointment.
 *
 * The worker's clock is moved forward (only ever forward) instead of waiting days; "time passing" for the
 * delayed jobs already in Redis is BullMQ's own promotion of the jobs whose moment has come.
 */
describe('follow-up: patient reminders', () => {
  let app: NestFastifyApplication;
  let worker: NestFastifyApplication;
  let nurse: SignedIn;
  let db: pg.Client;
  let dir: string;
  let messageFile: string;

  const call = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => app.inject({ method, url, payload, headers: { ...bearer(nurse.accessToken), ...headers } });

  const visits = async (patientId: string): Promise<Visit[]> => {
    const response = await call('GET', `/patients/${patientId}/follow-up`);
    expect(response.statusCode).toBe(200);
    return response.json<{ visits: Visit[] }>().visits;
  };
  const visit = async (patientId: string, code: string) =>
    (await visits(patientId)).find((v) => v.code === code)!;

  const messages = (): Message[] => {
    try {
      return readFileSync(messageFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Message);
    } catch {
      return [];
    }
  };

  /** The deliveries of an appointment's reminders: ledger rows, and the messages the provider got for them. */
  const delivered = async (appointmentId: string) => {
    const { rows } = await db.query<{
      id: string;
      days_before: number;
      provider_ref: string;
      outcome: string;
    }>(
      `SELECT d.id, r.days_before, d.provider_ref, d.outcome FROM reminder_delivery d
         JOIN reminder r ON r.id = d.reminder_id WHERE r.appointment_id = $1
        ORDER BY r.days_before DESC, d.claimed_at`,
      [appointmentId],
    );
    // In the ledger's order (each reminder's messages, if the provider got several, next to each other).
    const all = messages();
    return { ledger: rows, messages: rows.flatMap((r) => all.filter((m) => m.reference === r.id)) };
  };

  /** A patient off ECMO 15 days ago, the five visits planned; discharged 3 days ago unless told otherwise. */
  const patientReady = async (options: { discharged?: boolean; channel?: 'sms' | 'email' } = {}) => {
    const channel = options.channel ?? 'sms';
    const patient = await enrol(app, nurse.accessToken, {
      identity: {
        nhsNumber: testNhsNumber(),
        familyName: 'Reminded',
        givenName: 'Robin',
        dateOfBirth: '1961-02-03',
        phone: '+44 7700 900456',
        email: 'robin.reminded@example.org',
        reminderChannel: channel,
      },
    });
    const summary = (await call('GET', `/patients/${patient.id}`)).json<{
      ecmoRuns: Array<{ id: string }>;
    }>();
    const runUrl = `/patients/${patient.id}/ecmo-runs/${summary.ecmoRuns[0].id}`;
    const read = await call('GET', runUrl);
    const ended = await call(
      'PATCH',
      runUrl,
      { endedAt: daysAgo(15), endReason: 'weaned', reason: 'decannulated in theatre' },
      { 'if-match': read.headers.etag as string },
    );
    expect(ended.statusCode).toBe(200);
    expect((await visits(patient.id)).map((v) => v.code)).toEqual(REQUIRED);
    if (options.discharged !== false) await discharge(patient.id);
    return patient.id;
  };

  const discharge = async (patientId: string) => {
    const response = await call('POST', `/patients/${patientId}/outcome`, {
      kind: 'discharge',
      occurredAt: daysAgo(3),
      destination: 'home',
    });
    expect(response.statusCode).toBe(201);
  };

  const book = async (patientId: string, code: string, date: string, time: string) => {
    const response = await call('POST', `/patients/${patientId}/appointments`, {
      visitId: (await visit(patientId, code)).id,
      date,
      time,
      mode: 'clinic',
      place: 'Outpatients 4',
    });
    expect(response.statusCode).toBe(201);
    return response.json<AppointmentView>();
  };

  const move = async (patientId: string, appointment: AppointmentView, date: string, time: string) => {
    const url = `/patients/${patientId}/appointments/${appointment.id}`;
    const current = await call('GET', url);
    const response = await call(
      'PATCH',
      url,
      { date, time, reason: 'the patient asked' },
      { 'if-match': current.headers.etag as string },
    );
    expect(response.statusCode).toBe(200);
    return response.json<AppointmentView>();
  };

  const reminderQueue = () => worker.get(QueueService).queue(QueueName.Reminders);

  /** Every committed outbox row in Redis (the relay's own loop may be moving some right now). */
  const relayAll = () =>
    eventually(async () => {
      await worker.get(OutboxRelay).relayOnce();
      const { rows } = await db.query(`SELECT 1 FROM outbox WHERE relayed_at IS NULL LIMIT 1`);
      return rows.length === 0 ? true : undefined;
    });

  /**
   * Time passes for the worker: its clock reads `instant`, and the delayed reminder jobs Redis holds run if
   * their reminder is due by then, or if they are stale (a version the reminder has moved on from), as they
   * would once their delay ran out. Then waits for the reminders queue to be idle.
   */
  const passTime = async (instant: Date) => {
    worker.get(Clock).advanceTo(instant);
    await relayAll();
    const delayed: Job[] = await reminderQueue().getDelayed();
    for (const job of delayed) {
      const data = job.data as { reminderId: string; version: number };
      const { rows } = await db.query<{ version: number; status: string; due_at: Date }>(
        `SELECT version, status, due_at FROM reminder WHERE id = $1`,
        [data.reminderId],
      );
      const row = rows[0];
      const stale = !row || row.version !== data.version || row.status !== 'pending';
      if (stale || row.due_at.getTime() <= instant.getTime()) await job.promote();
    }
    await eventually(async () => {
      const counts = await reminderQueue().getJobCounts('waiting', 'active', 'prioritized');
      return counts.waiting + counts.active + counts.prioritized === 0 ? true : undefined;
    });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecmo-reminders-'));
    messageFile = join(dir, 'messages.jsonl');
    const overrides = { MESSAGE_LOG_FILE: messageFile, OUTBOX_POLL_INTERVAL_MS: '100' };
    app = await startApi(overrides);
    worker = await startWorker(overrides);
    db = await connect('owner');
    const email = uniqueEmail('reminders-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Reminder Heart');
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
  });

  afterAll(async () => {
    await db.end();
    await worker.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Appointments far enough ahead that neither of their reminders is due in real time during the run.
  const today = () => londonDay(new Date());

  it('plans a reminder 7 days and 1 day before at 09:00 London time, only once the patient is discharged', async () => {
    const patientId = await patientReady({ discharged: false });
    const date = addCalendarDays(today(), 20);
    const booked = await book(patientId, 'day_30', date, '10:30');
    // Still an inpatient: no reminder.
    expect(booked.reminders).toEqual([]);

    await discharge(patientId);
    const [appointment] = (await visit(patientId, 'day_30')).appointments;
    expect(appointment.reminders).toEqual([
      expect.objectContaining({
        daysBefore: 7,
        channel: 'sms',
        status: 'pending',
        dueAt: reminderInstant(date, 7, '09:00').toISOString(),
      }),
      expect.objectContaining({
        daysBefore: 1,
        channel: 'sms',
        status: 'pending',
        dueAt: reminderInstant(date, 1, '09:00').toISOString(),
      }),
    ]);

    // The jobs went through the outbox, ids only, committed with the change; the relay put them in Redis.
    const ids = appointment.reminders.map((r) => r.id);
    const { rows } = await db.query<{ job_id: string; payload: object }>(
      `SELECT job_id, payload FROM outbox WHERE payload->>'reminderId' = ANY($1) ORDER BY id`,
      [ids],
    );
    expect(rows.map((r) => r.payload)).toEqual(ids.map((reminderId) => ({ reminderId, version: 1 })));
    await relayAll();
    for (const row of rows) {
      const job = await reminderQueue().getJob(row.job_id);
      expect(await job?.getState()).toBe('delayed');
      expect(job?.data).toEqual(row.payload);
    }

    // Reminders are audited like every change, by the nurse whose change planned them.
    const audit = await db.query(
      `SELECT 1 FROM audit_event WHERE entity_type = 'reminder' AND entity_id = $1`,
      [ids[0]],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('moves the pending reminders with the appointment, and cancels them with it', async () => {
    const patientId = await patientReady();
    const booked = await book(patientId, 'day_30', addCalendarDays(today(), 20), '10:30');
    const later = addCalendarDays(today(), 22);
    const moved = await move(patientId, booked, later, '15:00');
    expect(moved.reminders.map((r) => [r.id, r.dueAt, r.status])).toEqual([
      [booked.reminders[0].id, reminderInstant(later, 7, '09:00').toISOString(), 'pending'],
      [booked.reminders[1].id, reminderInstant(later, 1, '09:00').toISOString(), 'pending'],
    ]);

    const url = `/patients/${patientId}/appointments/${booked.id}`;
    const current = await call('GET', url);
    const cancelled = await call(
      'POST',
      `${url}/cancel`,
      { reason: 'the patient is on holiday' },
      { 'if-match': current.headers.etag as string },
    );
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json<AppointmentView>().reminders.map((r) => [r.status, r.statusReason])).toEqual([
      ['cancelled', 'appointment_not_booked'],
      ['cancelled', 'appointment_not_booked'],
    ]);
  });

  it('cancels every pending reminder on a withdrawal from contact (level a), but keeps the visits', async () => {
    const patientId = await patientReady();
    await book(patientId, 'day_30', addCalendarDays(today(), 20), '10:30');
    const withdrawal = await call('POST', `/patients/${patientId}/consent-events`, {
      kind: 'withdrawal',
      withdrawalLevel: 'a',
      occurredAt: daysAgo(0, 1),
    });
    expect(withdrawal.statusCode).toBe(201);
    const day30 = await visit(patientId, 'day_30');
    expect(day30.status).toBe('scheduled');
    expect(day30.appointments[0].reminders.map((r) => [r.status, r.statusReason])).toEqual([
      ['cancelled', 'withdrawn_contact'],
      ['cancelled', 'withdrawn_contact'],
    ]);
  });

  it('rescheduled three times quickly, sends only the reminder of the last time, once', async () => {
    const patientId = await patientReady();
    const final = addCalendarDays(today(), 10);
    const due = reminderInstant(final, 7, '09:00');
    // The worker's clock a few seconds before the final time's 7-day reminder: its job is a real delayed job.
    worker.get(Clock).advanceTo(new Date(due.getTime() - 4000));
    let appointment = await book(patientId, 'day_30', addCalendarDays(final, 2), '10:30');
    appointment = await move(patientId, appointment, addCalendarDays(final, 1), '11:00');
    appointment = await move(patientId, appointment, addCalendarDays(final, 3), '09:15');
    appointment = await move(patientId, appointment, final, '16:00');
    const [sevenDays] = appointment.reminders;
    expect(sevenDays).toMatchObject({ daysBefore: 7, dueAt: due.toISOString(), status: 'pending' });

    // Four versions, four jobs: the earlier three are for moments that no longer hold.
    const { rows: outbox } = await db.query<{ job_id: string }>(
      `SELECT job_id FROM outbox WHERE payload->>'reminderId' = $1 ORDER BY id`,
      [sevenDays.id],
    );
    expect(outbox.map((r) => r.job_id)).toEqual([1, 2, 3, 4].map((v) => `reminder-${sevenDays.id}-v${v}`));

    // BullMQ runs the last version's job when its delay runs out, in real time.
    await eventually(
      async () => {
        const { rows } = await db.query<{ status: string }>(`SELECT status FROM reminder WHERE id = $1`, [
          sevenDays.id,
        ]);
        return rows[0].status === 'sent' ? true : undefined;
      },
      20000,
      100,
    );
    // The stale versions run too (their time comes later; here it is made to come) and do nothing.
    await passTime(new Date(reminderInstant(addCalendarDays(final, 3), 7, '09:00').getTime() + 1000));
    for (const version of [1, 2, 3]) {
      const job = await reminderQueue().getJob(`reminder-${sevenDays.id}-v${version}`);
      expect(await job?.getState()).toBe('completed');
      expect(job?.returnvalue).toBe('stale');
    }
    expect(await worker.get(ReminderSender).send(sevenDays.id, 4)).toBe('stale');

    const { ledger, messages: sent } = await delivered(appointment.id);
    expect(ledger).toEqual([
      { id: expect.any(String), days_before: 7, provider_ref: `log-${ledger[0].id}`, outcome: 'sent' },
    ]);
    expect(sent).toHaveLength(1);
    // Rendered at send time, for the last time; no name, no number, nothing clinical.
    expect(sent[0].channel).toBe('sms');
    expect(sent[0].body).toContain(`at 16:00, at Outpatients 4`);
    expect(sent[0].body).not.toMatch(/Robin|Reminded|7700|ECMO|cardiac/);
    expect(JSON.stringify(sent[0])).not.toContain('7700');
  });

  it('done means: two reminders for the moved day-30 appointment, none after the death', async () => {
    const patientId = await patientReady({ channel: 'email' });
    const first = addCalendarDays(today(), 14);
    const booked = await book(patientId, 'day_30', first, '10:30');
    const date = addCalendarDays(today(), 12);
    const appointment = await move(patientId, booked, date, '14:00');
    const [week, day] = appointment.reminders;

    await passTime(new Date(reminderInstant(date, 7, '09:00').getTime() + 1000));
    await passTime(new Date(reminderInstant(date, 1, '09:00').getTime() + 1000));
    // The old time's moments come too: nothing for them.
    await passTime(new Date(reminderInstant(first, 1, '09:00').getTime() + 1000));
    const { ledger, messages: sent } = await delivered(appointment.id);
    expect(ledger.map((r) => [r.days_before, r.outcome])).toEqual([
      [7, 'sent'],
      [1, 'sent'],
    ]);
    expect(sent.map((m) => m.channel)).toEqual(['email', 'email']);
    for (const message of sent) expect(message.body).toContain(' at 14:00, at Outpatients 4');
    expect((await visit(patientId, 'day_30')).appointments[0].reminders.map((r) => r.id)).toEqual([
      week.id,
      day.id,
    ]);

    const ALIVE = {
      source: 'clinic',
      vitalStatus: 'alive',
      mrs: 1,
      nyha: 2,
      eq5dMobility: 1,
      eq5dSelfCare: 1,
      eq5dUsualActivities: 2,
      eq5dPainDiscomfort: 2,
      eq5dAnxietyDepression: 1,
      eqVas: 80,
      readmissions: 0,
      returnToWork: 'not_applicable',
    };
    const assessed = await call('POST', `/patients/${patientId}/assessments`, {
      ...ALIVE,
      visitId: (await visit(patientId, 'day_30')).id,
      assessedOn: today(),
    });
    expect(assessed.statusCode).toBe(201);

    // A month-3 appointment is booked, then the patient dies: its reminders are cancelled, nothing is sent.
    const month3 = await book(patientId, 'month_3', addCalendarDays(today(), 40), '09:30');
    expect(month3.reminders.map((r) => r.status)).toEqual(['pending', 'pending']);
    const death = await call('POST', `/patients/${patientId}/assessments`, {
      visitId: (await visit(patientId, 'month_6')).id,
      assessedOn: today(),
      source: 'telephone',
      vitalStatus: 'dead',
      diedOn: today(),
      causeOfDeath: 'cardiac',
      mrs: 6,
    });
    expect(death.statusCode).toBe(201);
    const after = await visits(patientId);
    expect(after.find((v) => v.code === 'month_3')).toMatchObject({ status: 'not_required' });
    expect(after.find((v) => v.code === 'month_12')).toMatchObject({ status: 'not_required' });
    const cancelled = after.find((v) => v.code === 'month_3')!.appointments[0].reminders;
    expect(cancelled.map((r) => [r.status, r.statusReason])).toEqual([
      ['cancelled', 'died'],
      ['cancelled', 'died'],
    ]);
    await passTime(new Date(reminderInstant(addCalendarDays(today(), 40), 1, '09:00').getTime() + 1000));
    expect((await delivered(month3.id)).ledger).toEqual([]);
  });

  it('sends reminders at 09:00 London time around the clock changes of March and October', async () => {
    // The next year whose March change is at least a month ahead (bookings must be in the future).
    const now = new Date();
    const year = now.getUTCFullYear() + (now.getUTCMonth() >= 1 ? 1 : 0);
    const march = lastSunday(year, 3);
    const october = lastSunday(year, 10);
    const patientId = await patientReady();
    const booked = [
      await book(patientId, 'day_30', march, '10:30'),
      await book(patientId, 'month_3', addCalendarDays(march, 1), '10:30'),
      await book(patientId, 'month_6', october, '10:30'),
      await book(patientId, 'month_12', addCalendarDays(october, 1), '10:30'),
    ];
    const at = (date: string, days: number, utcTime: string) =>
      `${addCalendarDays(date, -days)}T${utcTime}:00.000Z`;
    expect(booked.map((a) => a.reminders.map((r) => r.dueAt))).toEqual([
      // The change day itself: both reminders fall on GMT days.
      [at(march, 7, '09:00'), at(march, 1, '09:00')],
      // The day after: the 1-day reminder is on the change day, 09:00 BST.
      [at(march, 6, '09:00'), at(march, 0, '08:00')],
      // October's change day: both reminders fall on BST days.
      [at(october, 7, '08:00'), at(october, 1, '08:00')],
      // The day after: the 1-day reminder is on the change day, 09:00 GMT.
      [at(october, 6, '08:00'), at(october, 0, '09:00')],
    ]);

    // On the March change day at 09:00 BST, the four March reminders have gone, the October ones wait.
    await passTime(new Date(`${march}T08:00:00.000Z`));
    const statuses = [];
    for (const a of booked)
      statuses.push((await delivered(a.id)).ledger.map((r) => [r.days_before, r.outcome]));
    expect(statuses).toEqual([
      [
        [7, 'sent'],
        [1, 'sent'],
      ],
      [
        [7, 'sent'],
        [1, 'sent'],
      ],
      [],
      [],
    ]);
    const { messages: changeDay } = await delivered(booked[1].id);
    expect(changeDay[1].body).toContain(`at 10:30, at Outpatients 4`);
  });

  // Last: the clock is far ahead by now (months, after the DST test), and only moves forward.
  it('reconciles: a due reminder whose job Redis lost is sent once; an interrupted claim becomes unknown', async () => {
    const patientId = await patientReady();
    const ahead = londonDay(new Date(worker.get(Clock).now().getTime() + 60 * 86_400_000));
    const appointment = await book(patientId, 'day_30', ahead, '11:00');
    const [week, day] = appointment.reminders;
    await relayAll();
    // Redis loses both jobs.
    for (const reminder of [week, day])
      await (await reminderQueue().getJob(`reminder-${reminder.id}-v1`))!.remove();

    // The worker died between claiming the day-before reminder and hearing from the provider.
    await db.query('BEGIN');
    await db.query(`SELECT set_config('registry.actor', 'test:crash', true)`);
    await db.query(`UPDATE reminder SET status = 'sending', version = 2 WHERE id = $1`, [day.id]);
    const { rows: claim } = await db.query<{ id: string }>(
      `INSERT INTO reminder_delivery (reminder_id, reminder_version, channel, provider)
       VALUES ($1, 2, 'sms', 'log') RETURNING id`,
      [day.id],
    );
    await db.query('COMMIT');

    worker.get(Clock).advanceTo(new Date(new Date(week.dueAt).getTime() + 1000));
    expect(await worker.get(ReminderReconciler).run()).toEqual({ requeued: 1, settled: 1 });
    await eventually(async () => {
      const { rows } = await db.query<{ status: string }>(`SELECT status FROM reminder WHERE id = $1`, [
        week.id,
      ]);
      return rows[0].status === 'sent' ? true : undefined;
    });
    // A second run finds nothing left to do.
    expect(await worker.get(ReminderReconciler).run()).toEqual({ requeued: 0, settled: 0 });

    const { ledger, messages: sent } = await delivered(appointment.id);
    expect(ledger.map((r) => [r.days_before, r.outcome])).toEqual([
      [7, 'sent'],
      [1, 'unknown'],
    ]);
    // The interrupted one is not resent: the log provider cannot be asked what it did.
    expect(sent.map((m) => m.reference)).toEqual([ledger[0].id]);
    expect(ledger[1].id).toBe(claim[0].id);
    const after = (await visit(patientId, 'day_30')).appointments[0].reminders;
    expect(after.map((r) => [r.status, r.statusReason])).toEqual([
      ['sent', null],
      ['unknown', expect.stringContaining('not resent (at most once)')],
    ]);
  });
});
