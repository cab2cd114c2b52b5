import { once } from 'node:events';
import { Clock, londonDay } from '../../libs/time/src/index.js';
import { addCalendarDays, reminderInstant } from '../../libs/time/src/local-time.js';
import { JobSchedulerService, QueueName, QueueService } from '../../libs/queue/src/index.js';
import { eventually, spawnWorker, type WorkerProcess } from '../support/apps.js';
import { FakeNotify } from '../support/fake-notify.js';
import { PrivateRedis } from '../support/private-redis.js';
import { insertDueReminder, ReminderHarness } from '../support/reminders.js';

const today = () => londonDay(new Date());

/**
 * Issue 5, fourth slice: reminders survive a worker killed mid-send and a Redis that lost all its data.
 */
describe('reminders: a worker killed mid-send, Redis flushed', () => {
  let notify: FakeNotify;

  beforeAll(async () => {
    notify = await new FakeNotify().start();
  });

  afterAll(async () => {
    await notify.stop();
  });

  it('a worker killed (SIGKILL) right after Notify took a message: restarted, it records it sent and never resends it', async () => {
    const h = await ReminderHarness.start('sigkill', notify.env(), { inProcessWorker: false });
    const workers: WorkerProcess[] = [];
    try {
      const phone = '+44 7700 900666';
      const patientId = await h.patientReady({ phone });
      const appointment = await h.book(patientId, 'day_30', addCalendarDays(today(), 20), '10:00');
      const env = {
        ...notify.env(),
        OUTBOX_POLL_INTERVAL_MS: '200',
        REMINDER_RECONCILE_INTERVAL_MS: '1000',
        REMINDER_CLAIM_TIMEOUT_MS: '2000',
      };
      notify.next(phone, 'accept-then-cut').whenTaken(() => workers[0]?.process.kill('SIGKILL'));
      // An earlier test file of this Jest worker (same Redis prefix) may have left the reconciler's scheduler
      // with its next run a minute away, which upserting the 1 s interval does not bring forward: start
      // without it, so that the workers create it at this test's interval.
      await h.app.get(QueueService).queue(QueueName.FollowUp).removeJobScheduler('reconcile-reminders');
      const first = await spawnWorker(env);
      workers.push(first);
      const killed = once(first.process, 'exit');
      // Then a reminder due in a second, written as the planner writes one (row and outbox row together).
      const reminderId = await insertDueReminder(h.db, patientId, appointment.id, 'sms', 'test:sigkill');

      const [, signal] = (await killed) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');

      // Notify has the message; the registry has only its claim.
      const taken = notify.messages.filter((m) => m.to === phone);
      expect(taken).toHaveLength(1);
      expect(await h.reminderStatus(reminderId)).toEqual({ status: 'sending', status_reason: null });
      const [claim] = (await h.ledger(appointment.id)).filter((r) => r.days_before === 10);
      expect(claim).toMatchObject({ outcome: null, provider: 'notify' });
      expect(taken[0].reference).toBe(claim.id);

      // Restarted: the reconciler asks Notify by reference, finds the message, records it sent.
      workers.push(await spawnWorker(env));
      await eventually(
        async () => ((await h.reminderStatus(reminderId)).status === 'sent' ? true : undefined),
        30_000,
        200,
      );
      const [settled] = (await h.ledger(appointment.id)).filter((r) => r.days_before === 10);
      expect(settled).toMatchObject({ id: claim.id, outcome: 'sent', provider_ref: taken[0].id });
      expect(notify.messages.filter((m) => m.to === phone)).toHaveLength(1);
    } finally {
      for (const worker of workers) await worker.stop();
      await h.close();
    }
  }, 90_000);

  it('Redis flushed with reminders pending: once the reconciler runs, every due reminder is sent once', async () => {
    const redis = await new PrivateRedis().start();
    const h = await ReminderHarness.start('flush', {
      ...notify.env(),
      REDIS_URL: redis.url,
      REMINDER_RECONCILE_INTERVAL_MS: '1000',
    });
    try {
      const date = addCalendarDays(today(), 20);
      const phones = ['+44 7700 900701', '+44 7700 900702', '+44 7700 900703'];
      const reminders: string[] = [];
      for (const phone of phones) {
        const patientId = await h.patientReady({ phone });
        const appointment = await h.book(patientId, 'day_30', date, '10:00');
        reminders.push(...appointment.reminders.map((r) => r.id));
      }
      await h.relayAll();
      expect(await h.reminderQueue().getDelayedCount()).toBe(reminders.length);

      await redis.run((client) => client.flushall());
      expect(await h.reminderQueue().getDelayedCount()).toBe(0);
      // What the worker does every minute: the schedulers Redis lost come back, the reconciler's included.
      expect((await h.worker.get(JobSchedulerService).restoreMissing()).sort()).toEqual([
        'follow-up-clock',
        'heartbeat',
        'reconcile-exports',
        'reconcile-reminders',
        'schedule-exports',
      ]);

      // Both moments pass (the day before the appointment, 09:00 and a minute); the reconciler, every second,
      // finds the due reminders without jobs and gives them new ones, which send them.
      h.worker.get(Clock).advanceTo(new Date(reminderInstant(date, 1, '09:00').getTime() + 60_000));
      await h.expectEachSentOnce(
        reminders,
        () => notify.messages.filter((m) => phones.includes(m.to)),
        20_000,
      );
    } finally {
      await h.close();
      await redis.stop();
    }
  }, 60_000);
});
