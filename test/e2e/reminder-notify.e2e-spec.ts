import { Clock, londonDay } from '../../libs/time/src/index.js';
import { ReminderReconciler } from '../../libs/followup/src/index.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { FakeNotify } from '../support/fake-notify.js';
import { ALIVE_ASSESSMENT } from '../support/patients.js';
import { ReminderHarness } from '../support/reminders.js';

const ALIVE = ALIVE_ASSESSMENT;

/**
 * Issue 5, fourth slice: reminders through GOV.UK Notify, its official client talking to a Notify-compatible
 * server on loopback that checks the client's tokens and keeps what arrived. The worker's clock is moved
 * forward (only ever forward), the delayed jobs in the real Redis promoted when their moment comes.
 */
describe('reminders through GOV.UK Notify', () => {
  let notify: FakeNotify;
  let h: ReminderHarness;

  const today = () => londonDay(new Date());
  const after = (instant: Date | string, ms = 1000) => new Date(new Date(instant).getTime() + ms);
  const arrivedFor = (reference: string) => notify.messages.filter((m) => m.reference === reference);

  beforeAll(async () => {
    notify = await new FakeNotify().start();
    h = await ReminderHarness.start('notify', notify.env());
  });

  afterAll(async () => {
    await h.close();
    await notify.stop();
  });

  it('done means: exactly two reminders arrive for the moved day-30 appointment, none after the death', async () => {
    const phone = await h.call(
      'PATCH',
      `/sites/${h.siteId}`,
      { followUpPhone: '0114 496 0000' },
      {
        authorization: `Bearer ${h.admin.accessToken}`,
      },
    );
    expect(phone.statusCode).toBe(200);
    const patientId = await h.patientReady();
    const first = addCalendarDays(today(), 14);
    const booked = await h.book(patientId, 'day_30', first, '10:30');
    const date = addCalendarDays(today(), 12);
    const appointment = await h.move(patientId, booked, date, '14:00');

    const before = notify.messages.length;
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    await h.passTime(after(reminderInstant(date, 1, '09:00')));
    // The old time's moment comes too: nothing for it.
    await h.passTime(after(reminderInstant(first, 1, '09:00')));
    const arrived = notify.messages.slice(before);
    const ledger = await h.ledger(appointment.id);
    expect(ledger.map((r) => [r.days_before, r.provider, r.outcome])).toEqual([
      [7, 'notify', 'sent'],
      [1, 'notify', 'sent'],
    ]);
    // What Notify got: our ledger ids as references, the SMS template, the number, the new time.
    expect(arrived.map((m) => [m.type, m.reference, m.templateId, m.to])).toEqual(
      ledger.map((r) => ['sms', r.id, notify.smsTemplateId, '+44 7700 900456']),
    );
    expect(ledger.map((r) => r.provider_ref)).toEqual(arrived.map((m) => m.id));
    for (const message of arrived) {
      expect(message.personalisation.body).toContain(' at 14:00, at Outpatients 4');
      // The site's follow-up number, set by the administrator above, is what the patient is asked to call.
      expect(message.personalisation.body).toMatch(/please call 0114 496 0000\.$/);
      expect(message.personalisation.body).not.toMatch(/Robin|Reminded|ECMO|cardiac|10:30/);
    }

    const assessed = await h.call('POST', `/patients/${patientId}/assessments`, {
      ...ALIVE,
      visitId: (await h.visit(patientId, 'day_30')).id,
      assessedOn: today(),
    });
    expect(assessed.statusCode).toBe(201);
    const month3 = await h.book(patientId, 'month_3', addCalendarDays(today(), 40), '09:30');
    expect(month3.reminders.map((r) => r.status)).toEqual(['pending', 'pending']);
    const death = await h.call('POST', `/patients/${patientId}/assessments`, {
      visitId: (await h.visit(patientId, 'month_6')).id,
      assessedOn: today(),
      source: 'telephone',
      vitalStatus: 'dead',
      diedOn: today(),
      causeOfDeath: 'cardiac',
      mrs: 6,
    });
    expect(death.statusCode).toBe(201);
    const visits = await h.visits(patientId);
    // Every visit not done is no longer required (month 6 holds the death, day 30 its assessment).
    expect(visits.map((v) => [v.code, v.status])).toEqual([
      ['discharge', 'not_required'],
      ['day_30', 'completed'],
      ['month_3', 'not_required'],
      ['month_6', 'completed'],
      ['month_12', 'not_required'],
    ]);
    expect(
      visits.find((v) => v.code === 'month_3')!.appointments[0].reminders.map((r) => r.statusReason),
    ).toEqual(['died', 'died']);
    const sentBefore = notify.messages.length;
    await h.passTime(after(reminderInstant(addCalendarDays(today(), 40), 1, '09:00')));
    expect(notify.messages.slice(sentBefore)).toEqual([]);
    expect(await h.ledger(month3.id)).toEqual([]);
  });

  it('sends e-mail reminders through the e-mail template, with a subject', async () => {
    const patientId = await h.patientReady({ channel: 'email' });
    const date = addCalendarDays(today(), 50);
    const appointment = await h.book(patientId, 'day_30', date, '11:15');
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    const [row] = await h.ledger(appointment.id);
    expect(row).toMatchObject({ days_before: 7, provider: 'notify', outcome: 'sent' });
    const [message] = arrivedFor(row.id);
    expect(message).toMatchObject({
      type: 'email',
      to: 'robin.reminded@example.org',
      templateId: notify.emailTemplateId,
      id: row.provider_ref,
    });
    expect(message.personalisation.subject).toMatch(/appointment/i);
    expect(message.personalisation.body).toContain(' at 11:15, at Outpatients 4');
  });

  it('marks a reminder Notify refuses as failed, with its reason and without the number', async () => {
    // A landline: the registry takes it (a nurse can telephone it), Notify cannot text it.
    const patientId = await h.patientReady({ phone: '+44 20 7946 0000' });
    const date = addCalendarDays(today(), 55);
    const appointment = await h.book(patientId, 'day_30', date, '11:15');
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    const [row] = await h.ledger(appointment.id);
    expect(row).toMatchObject({ provider: 'notify', outcome: 'failed', provider_ref: null });
    const status = await h.reminderStatus(appointment.reminders[0].id);
    expect(status.status).toBe('failed');
    expect(status.status_reason).toContain('Not a UK mobile number');
    expect(JSON.stringify(status)).not.toContain('7946');
    expect(arrivedFor(row.id)).toEqual([]);
  });

  it('tries again when Notify asks it to slow down, and sends once', async () => {
    const patientId = await h.patientReady({ phone: '+44 7700 900429' });
    const date = addCalendarDays(today(), 60);
    const appointment = await h.book(patientId, 'day_30', date, '11:15');
    const requests = notify.sendRequests;
    notify.next('+44 7700 900429', 'rate-limit');
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    const [row] = await h.ledger(appointment.id);
    expect(row).toMatchObject({ outcome: 'sent' });
    expect(notify.sendRequests - requests).toBe(2);
    expect(arrivedFor(row.id)).toHaveLength(1);
  });

  // Last: it moves the clock past the claim timeout.
  it('after an interruption, asks Notify by reference: what it took is recorded sent, what it did not is sent once', async () => {
    const phone = '+44 7700 900999';
    const patientId = await h.patientReady({ phone });
    const date = addCalendarDays(today(), 65);
    const appointment = await h.book(patientId, 'day_30', date, '11:15');
    const [week, day] = appointment.reminders;
    const reconciler = h.worker.get(ReminderReconciler);
    // The week-before message: Notify takes it, but the answer never comes back (a cut, a crash).
    notify.next(phone, 'accept-then-cut');
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    expect(await h.reminderStatus(week.id)).toEqual({ status: 'sending', status_reason: null });
    // Within the claim timeout the claim is left alone: the sender may still be waiting for an answer.
    await reconciler.run();
    expect((await h.reminderStatus(week.id)).status).toBe('sending');

    // The day-before one: the connection is cut before Notify takes it; then Notify fails with a 500.
    notify.next(phone, 'cut', 'error');
    await h.passTime(after(reminderInstant(date, 1, '09:00')));
    expect((await h.ledger(appointment.id)).map((r) => [r.days_before, r.outcome, r.provider_ref])).toEqual([
      [7, null, null],
      [1, null, null],
    ]);
    expect((await h.reminderStatus(day.id)).status).toBe('sending');

    const clock = h.worker.get(Clock);
    clock.advanceTo(after(clock.now(), 11 * 60_000));
    // The resend of the day-before one meets the 500: unknown again, a new claim, asked again once it is old.
    await reconciler.run();
    expect((await h.reminderStatus(week.id)).status).toBe('sent');
    expect((await h.reminderStatus(day.id)).status).toBe('sending');
    await reconciler.run();
    expect((await h.reminderStatus(day.id)).status).toBe('sending');
    clock.advanceTo(after(clock.now(), 11 * 60_000));
    await reconciler.run();
    const ledger = await h.ledger(appointment.id);
    expect(ledger.map((r) => [r.days_before, r.outcome])).toEqual([
      [7, 'sent'],
      [1, 'sent'],
    ]);
    // The week-before one was found by its reference, not sent again; the day-before one sent once.
    const [weekMessages, dayMessages] = ledger.map((r) => arrivedFor(r.id));
    expect(weekMessages).toHaveLength(1);
    expect(dayMessages).toHaveLength(1);
    expect(ledger.map((r) => r.provider_ref)).toEqual([weekMessages[0].id, dayMessages[0].id]);
    expect(await h.reminderStatus(week.id)).toEqual({
      status: 'sent',
      status_reason: 'interrupted; notify had taken it (found by reference)',
    });
    // Sending again read the number again: audited like the first read.
    const { rows } = await h.db.query(
      `SELECT 1 FROM audit_event WHERE action = 'identifier.read' AND entity_id = $1`,
      [patientId],
    );
    expect(rows).toHaveLength(4);
  });
});
