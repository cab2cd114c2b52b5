import { Clock, londonDay } from '../../libs/time/src/index.js';
import { DIGEST_ACTOR, NurseDigests } from '../../libs/followup/src/worklist/digest.js';
import { longDate } from '../../libs/followup/src/rules/reminders.js';
import { bearer, createUser } from '../support/access.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { ReminderHarness } from '../support/reminders.js';

const DAY = 86_400_000;

/**
 * Issue 5, last slice: the nurses' daily digest, one e-mail per site and nurse a day, through nodemailer to a
 * real SMTP server on loopback. The worker's job is run directly (its clock moved a day on, forward only);
 * `NURSE_DIGEST_SEND_AT` is midnight so that it is always time.
 */
describe("the nurses' daily digest", () => {
  let smtp: FakeSmtp;
  let h: ReminderHarness;

  const run = () => h.worker.get(NurseDigests).run();
  const emailOf = async (userId: string) =>
    (await h.db.query<{ email: string }>(`SELECT email FROM app_user WHERE id = $1`, [userId])).rows[0].email;
  const ledger = async (siteId: string) =>
    (
      await h.db.query<{
        user_id: string;
        digest_on: string;
        status: string;
        attempts: number;
        provider: string;
      }>(
        `SELECT user_id, digest_on::text, status, attempts, provider FROM nurse_digest
          WHERE site_id = $1 ORDER BY digest_on, claimed_at`,
        [siteId],
      )
    ).rows;

  beforeAll(async () => {
    smtp = await new FakeSmtp().start();
    h = await ReminderHarness.start('digest', { ...smtp.env(), NURSE_DIGEST_SEND_AT: '00:00' });
  });

  afterAll(async () => {
    await h.close();
    await smtp.stop();
  });

  it('sends each research nurse of a site one digest a day, counts only, and what is new since the last', async () => {
    const today = londonDay(new Date());
    const nurseId = (
      await h.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(h.nurse.accessToken) })
    ).json<{ id: string }>().id;
    const colleague = await createUser(h.app, h.admin.accessToken, 'research_nurse', [h.siteId]);
    // Not recipients: a disabled nurse, the site investigator, and another site's nurse.
    const gone = await createUser(h.app, h.admin.accessToken, 'research_nurse', [h.siteId]);
    const disabled = await h.app.inject({
      method: 'POST',
      url: `/users/${gone.id}/disable`,
      headers: bearer(h.admin.accessToken),
    });
    expect(disabled.statusCode).toBe(200);
    await createUser(h.app, h.admin.accessToken, 'site_investigator', [h.siteId]);
    // Another site with a nurse and nothing on its list: no e-mail at all.
    const quiet = await h.anotherSite('Digest Quiet');

    // A window that opened today (discharged today), one that closed yesterday (discharged 15 days ago),
    // and an older overdue pair (the discharge and day-30 windows of a patient discharged 50 days ago).
    await h.patientReady({ daysAgo: { start: 10, decannulation: 5, discharge: 0 } });
    await h.patientReady({ daysAgo: { start: 25, decannulation: 20, discharge: 15 } });
    await h.patientReady({ daysAgo: { start: 60, decannulation: 55, discharge: 50 } });

    // The run covers every site of this database (other test files' too): what counts is this site's ledger
    // and what reached its nurses.
    const recipients = [await emailOf(nurseId), await emailOf(colleague.id)].sort();
    const mine = () => smtp.received.filter((m) => m.envelopeTo.some((to) => recipients.includes(to)));
    await run();
    expect(
      mine()
        .map((m) => m.envelopeTo[0])
        .sort(),
    ).toEqual(recipients);
    const [mail] = mine();
    expect(mail.subject).toMatch(new RegExp(`^Follow-up worklist for [A-Z0-9]+: ${longDate(today)}$`));
    expect(mail.text).toContain('Since the last digest:');
    expect(mail.text).toContain('- 1 visit window opened with no appointment booked');
    expect(mail.text).toContain('- 1 visit window closed with no visit recorded (overdue)');
    expect(mail.text).toContain('- 1 visit due without an appointment');
    expect(mail.text).toContain('- 3 overdue visits');
    // No patient: no registry ID, name or contact detail leaves the registry in a digest.
    expect(
      mine()
        .map((m) => m.text)
        .join('\n'),
    ).not.toMatch(/[A-Z][A-Z0-9]+-\d{4}|Robin|Reminded|7700/);
    const rows = await ledger(h.siteId);
    expect(rows.map((r) => [r.digest_on, r.status, r.provider, r.attempts])).toEqual([
      [today, 'sent', 'smtp', 1],
      [today, 'sent', 'smtp', 1],
    ]);
    expect(await ledger(quiet.siteId)).toEqual([]);
    // This site's two ledger rows, each claimed (insert) and settled (update) by the digest's actor.
    const audited = await h.db.query<{ action: string }>(
      `SELECT action FROM audit_event
        WHERE entity_type = 'nurse_digest' AND actor = $1
          AND entity_id::text IN (SELECT id::text FROM nurse_digest WHERE site_id = $2)`,
      [DIGEST_ACTOR, h.siteId],
    );
    expect(audited.rows.filter((r) => r.action === 'insert')).toHaveLength(2);
    expect(audited.rows.filter((r) => r.action === 'update').length).toBeGreaterThanOrEqual(2);

    // Once a day: the next run (ten minutes later, the same day) sends nothing.
    await run();
    expect(mine()).toHaveLength(2);
    expect(await ledger(h.siteId)).toHaveLength(2);

    // The next day: news is counted from the previous digest (yesterday's opening is old news); the
    // colleague's mailbox is busy (451): not sent, tried again at the next run, once.
    const tomorrow = new Date(Date.now() + DAY);
    h.worker.get(Clock).advanceTo(tomorrow);
    smtp.next(await emailOf(colleague.id), 'busy');
    await run();
    const second = mine().slice(2);
    expect(second.map((m) => m.envelopeTo)).toEqual([[await emailOf(nurseId)]]);
    expect(second[0].text).not.toContain('visit window opened');
    expect(second[0].text).toContain('- 3 overdue visits');
    const busy = (await ledger(h.siteId)).filter(
      (r) => r.user_id === colleague.id && r.status === 'not_sent',
    );
    expect(busy.map((r) => r.attempts)).toEqual([1]);
    await run();
    expect(
      mine()
        .slice(3)
        .map((m) => m.envelopeTo[0]),
    ).toEqual([await emailOf(colleague.id)]);
    const next = (await ledger(h.siteId)).filter((r) => r.digest_on === londonDay(tomorrow));
    expect(next.map((r) => [r.status, r.attempts]).sort()).toEqual([
      ['sent', 1],
      ['sent', 2],
    ]);
  });
});
