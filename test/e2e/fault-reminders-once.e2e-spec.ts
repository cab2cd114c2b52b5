import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueName, QueueService } from '../../libs/queue/src/index.js';
import { londonDay } from '../../libs/time/src/index.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { bearer } from '../support/access.js';
import { eventually, spawnWorker, startApi, type WorkerProcess } from '../support/apps.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { insertDueReminder, ReminderHarness } from '../support/reminders.js';

const today = () => londonDay(new Date());

/**
 * Issue 24: a reminder is sent once per appointment date and days-before, and a reminder lost means a missed
 * visit. Two faults that broke that: a send time moved later in the day (then a restart and a harmless edit)
 * re-sent the morning's reminders; a worker killed while an SMTP server held a message lost it for good.
 */
describe('fault injection: reminders once, and never lost', () => {
  it('a send time moved later the same day, the api restarted, a harmless edit: nothing is sent twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecmo-once-'));
    const messageFile = join(dir, 'messages.jsonl');
    const h = await ReminderHarness.start('once', { MESSAGE_LOG_FILE: messageFile });
    const later = await startApi({ MESSAGE_LOG_FILE: messageFile, REMINDER_SEND_AT: '15:00' });
    try {
      const date = addCalendarDays(today(), 20);
      const patients: string[] = [];
      const appointments: string[] = [];
      for (let i = 0; i < 20; i++) {
        const patientId = await h.patientReady({ phone: `+44 7700 9007${String(i).padStart(2, '0')}` });
        patients.push(patientId);
        appointments.push((await h.book(patientId, 'day_30', date, '10:30')).id);
      }
      // The week-before reminders go out at 09:00 on their day.
      await h.passTime(new Date(reminderInstant(date, 7, '09:00').getTime() + 60_000));
      const sent = async () =>
        (
          await h.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM reminder_delivery d JOIN reminder r ON r.id = d.reminder_id
              WHERE r.appointment_id = ANY($1) AND r.days_before = 7 AND d.outcome = 'sent'`,
            [appointments],
          )
        ).rows[0].n;
      await eventually(async () => ((await sent()) === 20 ? true : undefined), 20_000, 200);

      // The operator moves REMINDER_SEND_AT to 15:00 and restarts the api; a nurse makes a harmless edit to
      // each patient (the sex, corrected to what it was), which replans their reminders.
      for (const patientId of patients) {
        const read = await later.inject({
          method: 'GET',
          url: `/patients/${patientId}`,
          headers: bearer(h.nurse.accessToken),
        });
        const edited = await later.inject({
          method: 'PATCH',
          url: `/patients/${patientId}`,
          headers: { ...bearer(h.nurse.accessToken), 'if-match': read.headers.etag as string },
          payload: { sex: 'female', reason: 'checked against the notes' },
        });
        expect(edited.statusCode).toBe(200);
      }
      const { rows } = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM reminder
          WHERE appointment_id = ANY($1) AND days_before = 7 AND status = 'pending'`,
        [appointments],
      );
      expect(rows[0].n).toBe(0);

      // 15:00 that day passes: no second message to anyone.
      await h.passTime(new Date(reminderInstant(date, 7, '15:00').getTime() + 60_000));
      await h.idle();
      expect(await sent()).toBe(20);
      const lines = readFileSync(messageFile, 'utf8').split('\n').filter(Boolean);
      expect(lines).toHaveLength(20);
    } finally {
      await later.close();
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a worker killed while the SMTP server held an e-mail: it is sent once more with the same Message-ID, and stays on the worklist', async () => {
    const smtp = await new FakeSmtp().start();
    const env = {
      ...smtp.env(),
      MESSAGE_PROVIDER_TIMEOUT_MS: '30000',
      OUTBOX_POLL_INTERVAL_MS: '200',
      REMINDER_RECONCILE_INTERVAL_MS: '1000',
      REMINDER_CLAIM_TIMEOUT_MS: '2000',
    };
    const h = await ReminderHarness.start('smtp-kill', env, { inProcessWorker: false });
    const workers: WorkerProcess[] = [];
    try {
      const email = 'held.message@example.org';
      const patientId = await h.patientReady({ channel: 'email', email });
      const appointment = await h.book(patientId, 'day_30', addCalendarDays(today(), 20), '10:00');
      smtp.next(email, 'take-and-hang').whenTaken(() => workers[0]?.process.kill('SIGKILL'));
      // As in the Notify test: start without the reconciler's scheduler an earlier file may have left.
      await h.app.get(QueueService).queue(QueueName.FollowUp).removeJobScheduler('reconcile-reminders');
      const first = await spawnWorker(env);
      workers.push(first);
      const killed = once(first.process, 'exit');
      // A reminder due in a second, written as the planner writes one (row and outbox row together).
      const reminderId = await insertDueReminder(h.db, patientId, appointment.id, 'email', 'test:smtp-kill');

      const [, signal] = (await killed) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');
      const [claim] = (await h.ledger(appointment.id)).filter((r) => r.days_before === 10);
      expect(claim).toMatchObject({ outcome: null, provider: 'smtp' });
      expect(smtp.received.filter((m) => m.reference === claim.id)).toHaveLength(1);

      // Restarted: SMTP cannot be asked, so the reminder is unknown; the appointment is ahead, so the e-mail
      // goes once more under the same Message-ID, recorded in the ledger.
      workers.push(await spawnWorker(env));
      const resent = async () =>
        (
          await h.db.query<{ resent_at: Date | null; resend_outcome: string | null }>(
            `SELECT resent_at, resend_outcome FROM reminder_delivery WHERE id = $1`,
            [claim.id],
          )
        ).rows[0];
      await eventually(
        async () => ((await resent()).resend_outcome === 'sent' ? true : undefined),
        30_000,
        200,
      );
      const copies = smtp.received.filter((m) => m.reference === claim.id);
      expect(copies).toHaveLength(2);
      expect(copies[1].messageId).toBe(copies[0].messageId);
      expect(await h.reminderStatus(reminderId)).toEqual({
        status: 'unknown',
        status_reason: expect.stringContaining('sent once more with the same Message-ID: sent'),
      });
      const worklist = await h.call('GET', `/sites/${h.siteId}/worklist`);
      expect(
        worklist
          .json<{ reminders: { items: Array<{ reminderId: string }> } }>()
          .reminders.items.map((i) => i.reminderId),
      ).toContain(reminderId);

      // Never a third copy: later reconciler runs find it resent.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(smtp.received.filter((m) => m.reference === claim.id)).toHaveLength(2);
    } finally {
      for (const worker of workers) await worker.stop();
      await h.close();
      await smtp.stop();
    }
  }, 90_000);
});
