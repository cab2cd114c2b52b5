import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock, londonDay } from '../../libs/time/src/index.js';
import { ReminderReconciler, ReminderSender } from '../../libs/followup/src/index.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { eventually } from '../support/apps.js';
import { daysAgo, nextLondonClockChanges } from '../support/patients.js';
import { ReminderHarness, type AppointmentView } from '../support/reminders.js';

interface Message {
  reference: string;
  channel: string;
  subject?: string;
  body: string;
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
  let h: ReminderHarness;
  let dir: string;
  let messageFile: string;

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
    const ledger = await h.ledger(appointmentId);
    // In the ledger's order (each reminder's messages, if the provider got several, next to each other).
    const all = messages();
    return { ledger, messages: ledger.flatMap((r) => all.filter((m) => m.reference === r.id)) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecmo-reminders-'));
    messageFile = join(dir, 'messages.jsonl');
    h = await ReminderHarness.start('reminders', { MESSAGE_LOG_FILE: messageFile });
  });

  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Appointments far enough ahead that neither of their reminders is due in real time during the run.
  const today = () => londonDay(new Date());

  it('plans a reminder 7 days and 1 day before at 09:00 London time, only once the patient is discharged', async () => {
    const patientId = await h.patientReady({ discharged: false });
    const date = addCalendarDays(today(), 20);
    const booked = await h.book(patientId, 'day_30', date, '10:30');
    // Still an inpatient: no reminder.
    expect(booked.reminders).toEqual([]);

    await h.discharge(patientId);
    const [appointment] = (await h.visit(patientId, 'day_30')).appointments;
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
    const { rows } = await h.db.query<{ job_id: string; payload: object }>(
      `SELECT job_id, payload FROM outbox WHERE payload->>'reminderId' = ANY($1) ORDER BY id`,
      [ids],
    );
    expect(rows.map((r) => r.payload)).toEqual(ids.map((reminderId) => ({ reminderId, version: 1 })));
    await h.relayAll();
    for (const row of rows) {
      const job = await h.reminderQueue().getJob(row.job_id);
      expect(await job?.getState()).toBe('delayed');
      expect(job?.data).toEqual(row.payload);
    }

    // Reminders are audited like every change, by the nurse whose change planned them.
    const audit = await h.db.query(
      `SELECT 1 FROM audit_event WHERE entity_type = 'reminder' AND entity_id = $1`,
      [ids[0]],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('moves the pending reminders with the appointment, and cancels them with it', async () => {
    const patientId = await h.patientReady();
    const booked = await h.book(patientId, 'day_30', addCalendarDays(today(), 20), '10:30');
    const later = addCalendarDays(today(), 22);
    const moved = await h.move(patientId, booked, later, '15:00');
    expect(moved.reminders.map((r) => [r.id, r.dueAt, r.status])).toEqual([
      [booked.reminders[0].id, reminderInstant(later, 7, '09:00').toISOString(), 'pending'],
      [booked.reminders[1].id, reminderInstant(later, 1, '09:00').toISOString(), 'pending'],
    ]);

    const url = `/patients/${patientId}/appointments/${booked.id}`;
    const current = await h.call('GET', url);
    const cancelled = await h.call(
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
    const patientId = await h.patientReady();
    await h.book(patientId, 'day_30', addCalendarDays(today(), 20), '10:30');
    const withdrawal = await h.call('POST', `/patients/${patientId}/consent-events`, {
      kind: 'withdrawal',
      withdrawalLevel: 'a',
      occurredAt: daysAgo(0, 1),
    });
    expect(withdrawal.statusCode).toBe(201);
    const day30 = await h.visit(patientId, 'day_30');
    expect(day30.status).toBe('scheduled');
    expect(day30.appointments[0].reminders.map((r) => [r.status, r.statusReason])).toEqual([
      ['cancelled', 'withdrawn_contact'],
      ['cancelled', 'withdrawn_contact'],
    ]);
  });

  it('rescheduled three times quickly, sends only the reminder of the last time, once', async () => {
    const patientId = await h.patientReady();
    const final = addCalendarDays(today(), 10);
    const due = reminderInstant(final, 7, '09:00');
    // The worker's clock a few seconds before the final time's 7-day reminder: its job is a real delayed job.
    h.worker.get(Clock).advanceTo(new Date(due.getTime() - 4000));
    let appointment = await h.book(patientId, 'day_30', addCalendarDays(final, 2), '10:30');
    appointment = await h.move(patientId, appointment, addCalendarDays(final, 1), '11:00');
    appointment = await h.move(patientId, appointment, addCalendarDays(final, 3), '09:15');
    appointment = await h.move(patientId, appointment, final, '16:00');
    const [sevenDays] = appointment.reminders;
    expect(sevenDays).toMatchObject({ daysBefore: 7, dueAt: due.toISOString(), status: 'pending' });

    // Four versions, four jobs: the earlier three are for moments that no longer hold.
    const { rows: outbox } = await h.db.query<{ job_id: string }>(
      `SELECT job_id FROM outbox WHERE payload->>'reminderId' = $1 ORDER BY id`,
      [sevenDays.id],
    );
    expect(outbox.map((r) => r.job_id)).toEqual([1, 2, 3, 4].map((v) => `reminder-${sevenDays.id}-v${v}`));

    // BullMQ runs the last version's job when its delay runs out, in real time.
    await eventually(
      async () => {
        const { rows } = await h.db.query<{ status: string }>(`SELECT status FROM reminder WHERE id = $1`, [
          sevenDays.id,
        ]);
        return rows[0].status === 'sent' ? true : undefined;
      },
      20000,
      100,
    );
    // The stale versions run too (their time comes later; here it is made to come) and do nothing.
    await h.passTime(new Date(reminderInstant(addCalendarDays(final, 3), 7, '09:00').getTime() + 1000));
    for (const version of [1, 2, 3]) {
      const job = await h.reminderQueue().getJob(`reminder-${sevenDays.id}-v${version}`);
      expect(await job?.getState()).toBe('completed');
      expect(job?.returnvalue).toBe('stale');
    }
    expect(await h.worker.get(ReminderSender).send(sevenDays.id, 4)).toBe('stale');

    const { ledger, messages: sent } = await delivered(appointment.id);
    expect(ledger).toEqual([
      {
        id: expect.any(String),
        days_before: 7,
        provider: 'log',
        provider_ref: `log-${ledger[0].id}`,
        outcome: 'sent',
      },
    ]);
    expect(sent).toHaveLength(1);
    // Rendered at send time, for the last time; no name, no number, nothing clinical.
    expect(sent[0].channel).toBe('sms');
    expect(sent[0].body).toContain(`at 16:00, at Outpatients 4`);
    expect(sent[0].body).not.toMatch(/Robin|Reminded|7700|ECMO|cardiac/);
    expect(JSON.stringify(sent[0])).not.toContain('7700');
  });

  it('sends reminders at 09:00 London time around the clock changes of March and October', async () => {
    const { march, october } = nextLondonClockChanges();
    const patientId = await h.patientReady();
    const booked = [
      await h.book(patientId, 'day_30', march, '10:30'),
      await h.book(patientId, 'month_3', addCalendarDays(march, 1), '10:30'),
      await h.book(patientId, 'month_6', october, '10:30'),
      await h.book(patientId, 'month_12', addCalendarDays(october, 1), '10:30'),
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
    await h.passTime(new Date(`${march}T08:00:00.000Z`));
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
    const patientId = await h.patientReady();
    const ahead = londonDay(new Date(h.worker.get(Clock).now().getTime() + 60 * 86_400_000));
    const appointment = await h.book(patientId, 'day_30', ahead, '11:00');
    const [week, day] = appointment.reminders;
    await h.relayAll();
    // Redis loses both jobs.
    for (const reminder of [week, day])
      await (await h.reminderQueue().getJob(`reminder-${reminder.id}-v1`))!.remove();

    // The worker died between claiming the day-before reminder and hearing from the provider.
    await h.db.query('BEGIN');
    await h.db.query(`SELECT set_config('registry.actor', 'test:crash', true)`);
    await h.db.query(`UPDATE reminder SET status = 'sending', version = 2 WHERE id = $1`, [day.id]);
    const { rows: claim } = await h.db.query<{ id: string }>(
      `INSERT INTO reminder_delivery (reminder_id, reminder_version, channel, provider)
       VALUES ($1, 2, 'sms', 'log') RETURNING id`,
      [day.id],
    );
    await h.db.query('COMMIT');

    h.worker.get(Clock).advanceTo(new Date(new Date(week.dueAt).getTime() + 1000));
    expect(await h.worker.get(ReminderReconciler).run()).toEqual({ requeued: 1, settled: 1 });
    await eventually(async () => {
      const { rows } = await h.db.query<{ status: string }>(`SELECT status FROM reminder WHERE id = $1`, [
        week.id,
      ]);
      return rows[0].status === 'sent' ? true : undefined;
    });
    // A second run finds nothing left to do.
    expect(await h.worker.get(ReminderReconciler).run()).toEqual({ requeued: 0, settled: 0 });

    const { ledger, messages: sent } = await delivered(appointment.id);
    expect(ledger.map((r) => [r.days_before, r.outcome])).toEqual([
      [7, 'sent'],
      [1, 'unknown'],
    ]);
    // The interrupted one is not resent: the log provider cannot be asked what it did.
    expect(sent.map((m) => m.reference)).toEqual([ledger[0].id]);
    expect(ledger[1].id).toBe(claim[0].id);
    const after = (await h.visit(patientId, 'day_30')).appointments[0].reminders;
    expect(after.map((r) => [r.status, r.statusReason])).toEqual([
      ['sent', null],
      ['unknown', expect.stringContaining('not resent (at most once)')],
    ]);
  });
});
