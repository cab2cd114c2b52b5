import { Clock, londonDay } from '../../libs/time/src/index.js';
import { ReminderReconciler } from '../../libs/followup/src/index.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { ReminderHarness } from '../support/reminders.js';

/**
 * Issue 5, fourth slice: e-mail reminders over SMTP (nodemailer) to a real SMTP server (`smtp-server`) on
 * loopback. SMTP cannot be asked afterwards what it did, so a send cut off after the message went out is never
 * repeated (at most once): the reminder becomes `unknown`, for the nurses to check.
 */
describe('e-mail reminders over SMTP', () => {
  let smtp: FakeSmtp;
  let h: ReminderHarness;

  const today = () => londonDay(new Date());
  const after = (instant: Date | string, ms = 1000) => new Date(new Date(instant).getTime() + ms);

  /** A patient who chose e-mail, with a booked appointment `days` ahead; its week-before reminder is due. */
  const weekReminderDue = async (days: number, email = 'robin.reminded@example.org') => {
    const patientId = await h.patientReady({ channel: 'email', email });
    const date = addCalendarDays(today(), days);
    const appointment = await h.book(patientId, 'day_30', date, '11:15');
    await h.passTime(after(reminderInstant(date, 7, '09:00')));
    const [row] = await h.ledger(appointment.id);
    return { appointment, row, reminder: appointment.reminders[0] };
  };

  beforeAll(async () => {
    smtp = await new FakeSmtp().start();
    h = await ReminderHarness.start('smtp', { ...smtp.env(), MESSAGE_PROVIDER_TIMEOUT_MS: '1000' });
  });

  afterAll(async () => {
    await h.close();
    await smtp.stop();
  });

  it('sends the e-mail with its subject and the time, our reference in a header', async () => {
    const { row } = await weekReminderDue(20);
    expect(row).toMatchObject({ days_before: 7, provider: 'smtp', outcome: 'sent' });
    const mails = smtp.received.filter((m) => m.reference === row.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      envelopeTo: ['robin.reminded@example.org'],
      from: '"ECMO follow-up" <followup@registry.example.org>',
      to: 'robin.reminded@example.org',
      messageId: row.provider_ref,
    });
    expect(mails[0].subject).toMatch(/appointment/i);
    expect(mails[0].text).toContain(' at 11:15, at Outpatients 4');
    expect(mails[0].text).not.toMatch(/Robin|Reminded|ECMO|cardiac/);
  });

  it('marks a reminder whose address the server refuses as failed, without the address', async () => {
    smtp.next('nobody.here@example.org', 'refuse-recipient');
    const { row, reminder } = await weekReminderDue(22, 'nobody.here@example.org');
    expect(row).toMatchObject({ provider: 'smtp', outcome: 'failed', provider_ref: null });
    const status = await h.reminderStatus(reminder.id);
    expect(status.status).toBe('failed');
    expect(status.status_reason).toContain('550');
    expect(JSON.stringify(status)).not.toContain('nobody.here');
    expect(smtp.received.filter((m) => m.reference === row.id)).toEqual([]);
  });

  it('tries again when the server is busy (451), and sends once', async () => {
    smtp.next('busy@example.org', 'busy');
    const { row } = await weekReminderDue(24, 'busy@example.org');
    expect(row).toMatchObject({ outcome: 'sent' });
    expect(smtp.received.filter((m) => m.reference === row.id)).toHaveLength(1);
  });

  it('sends a message cut off after it went out once more, with the same Message-ID; it stays unknown', async () => {
    smtp.next('hang@example.org', 'take-and-hang');
    const { row, reminder } = await weekReminderDue(26, 'hang@example.org');
    // The server has it; the worker never heard so.
    expect(row).toMatchObject({ outcome: null });
    expect(smtp.received.filter((m) => m.reference === row.id)).toHaveLength(1);
    expect((await h.reminderStatus(reminder.id)).status).toBe('sending');

    const clock = h.worker.get(Clock);
    clock.advanceTo(after(clock.now(), 11 * 60_000));
    await h.worker.get(ReminderReconciler).run();
    // SMTP cannot be asked: unknown, for the nurses; the appointment is ahead, so the e-mail went once more
    // under the same Message-ID (a client that has the first folds the second away).
    expect(await h.reminderStatus(reminder.id)).toEqual({
      status: 'unknown',
      status_reason: expect.stringContaining('sent once more with the same Message-ID: sent'),
    });
    const copies = smtp.received.filter((m) => m.reference === row.id);
    expect(copies).toHaveLength(2);
    expect(copies[1].messageId).toBe(copies[0].messageId);
    expect(copies[0].messageId).toBe(`<${row.id}@registry.example.org>`);
    // At most once more.
    clock.advanceTo(after(clock.now(), 11 * 60_000));
    await h.worker.get(ReminderReconciler).run();
    expect(smtp.received.filter((m) => m.reference === row.id)).toHaveLength(2);
  });

  it('does not send an unknown e-mail again once its appointment has begun', async () => {
    smtp.next('late@example.org', 'take-and-hang');
    const { row, reminder, appointment } = await weekReminderDue(28, 'late@example.org');
    expect(row).toMatchObject({ outcome: null });
    const clock = h.worker.get(Clock);
    clock.advanceTo(new Date(`${appointment.date}T12:00:00Z`));
    await h.worker.get(ReminderReconciler).run();
    expect(await h.reminderStatus(reminder.id)).toEqual({
      status: 'unknown',
      status_reason: expect.stringContaining('if the appointment is still ahead'),
    });
    expect(smtp.received.filter((m) => m.reference === row.id)).toHaveLength(1);
  });

  // Last: the server goes away.
  it('marks a reminder failed (not sent) when the server cannot be reached', async () => {
    await smtp.stop();
    const { row, reminder } = await weekReminderDue(40);
    expect(row).toMatchObject({ provider: 'smtp', outcome: 'failed' });
    expect((await h.reminderStatus(reminder.id)).status_reason).toMatch(/^not sent: SMTP .*ECONNREFUSED/);
  });
});
