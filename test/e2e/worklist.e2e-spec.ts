import { addCalendarDays, localWallClock, reminderInstant } from '../../libs/time/src/local-time.js';
import { bearer, createSite, createUser } from '../support/access.js';
import { FakeNotify } from '../support/fake-notify.js';
import { ReminderHarness } from '../support/reminders.js';
import { daysAgo, enrol } from '../support/patients.js';
import { londonDay } from '../../libs/time/src/index.js';

interface Item {
  patientId: string;
  registryId: string;
  contactWithdrawn: boolean;
  visitCode: string;
  closesOn: string;
  appointmentId?: string;
  localDate?: string;
  localTime?: string;
  reminderId?: string;
  status?: string;
  reason?: string | null;
}
type Section = { count: number; items: Item[] };
interface Worklist {
  site: { id: string; code: string; name: string };
  today: string;
  dueWithoutAppointment: Section;
  appointmentsThisWeek: Section;
  outcomesToRecord: Section;
  overdueVisits: Section;
  missedAppointments: Section;
  reminders: Section;
  consentToSeek: { count: number; items: Array<{ registryId: string; consentState: string }> };
  inpatientsWithoutOutcome: { count: number; items: Array<{ registryId: string; onEcmo: boolean }> };
  incompleteRecords: {
    count: number;
    items: Array<{ registryId: string; missing: number; fields: Array<{ record: string; field: string }> }>;
  };
}

/** Long ago enough that the discharge and day-30 windows have closed (the month-3 window is still ahead). */
const LONG_AGO = { start: 60, decannulation: 55, discharge: 50 };

/**
 * Issue 5, last slice: the nurses' worklist of a site, built from what nurses and the worker did through the
 * api (bookings, a no-show, a refused reminder, a loss to follow-up), on the real database.
 */
describe("a site's follow-up worklist", () => {
  let notify: FakeNotify;
  let h: ReminderHarness;

  const today = () => londonDay(new Date());
  const worklist = async (token = h.nurse.accessToken): Promise<Worklist> => {
    const response = await h.app.inject({
      method: 'GET',
      url: `/sites/${h.siteId}/worklist`,
      headers: bearer(token),
    });
    expect(response.statusCode).toBe(200);
    return response.json<Worklist>();
  };
  const visitsOf = (section: Section) => section.items.map((i) => `${i.registryId} ${i.visitCode}`);
  const registryId = async (patientId: string) =>
    (await h.call('GET', `/patients/${patientId}`)).json<{ registryId: string }>().registryId;

  beforeAll(async () => {
    notify = await new FakeNotify().start();
    h = await ReminderHarness.start('worklist', notify.env());
  });

  afterAll(async () => {
    await h.close();
    await notify.stop();
  });

  it('lists what the nurses must do, each visit once, and nothing of another site', async () => {
    // Due: discharged 3 days ago, the discharge visit's window is open and nothing is booked.
    const due = await h.patientReady();
    // Booked for the day after tomorrow: this week's appointments, no longer "due without appointment".
    const booked = await h.patientReady();
    const soon = addCalendarDays(today(), 2);
    const appointment = await h.book(booked, 'discharge', soon, '10:30');
    // A no-show: booked a few minutes ahead, recorded missed; the visit is due again, to rebook.
    const noShow = await h.patientReady();
    const inAMoment = localWallClock(new Date(Date.now() + 5 * 60_000));
    const missed = await h.book(noShow, 'discharge', inAMoment.date, inAMoment.time);
    const recorded = await h.call('POST', `/patients/${noShow}/appointments/${missed.id}/missed`, undefined, {
      'if-match': '"1"',
    });
    expect(recorded.statusCode).toBe(200);
    // Overdue: the discharge and day-30 windows closed without a visit.
    const overdue = await h.patientReady({ daysAgo: LONG_AGO });
    // The same, but declared lost to follow-up: history, not work.
    const lost = await h.patientReady({ daysAgo: LONG_AGO });
    const plan = await h.call('GET', `/patients/${lost}/follow-up`);
    const declared = await h.call(
      'PATCH',
      `/patients/${lost}/follow-up`,
      { lostToFollowUpOn: today(), reason: 'moved abroad, no contact' },
      { 'if-match': plan.headers.etag as string },
    );
    expect(declared.statusCode).toBe(200);
    // Another site's patient, overdue too: never on this site's list.
    const other = await h.anotherSite('Worklist Other');
    await other.patientReady({ daysAgo: LONG_AGO });
    const ids = {
      due: await registryId(due),
      booked: await registryId(booked),
      noShow: await registryId(noShow),
      overdue: await registryId(overdue),
    };

    const list = await worklist();
    expect(list.today).toBe(today());
    // The long-ago patients' month-3 windows are not open yet; the no-show is under missed appointments.
    expect(visitsOf(list.dueWithoutAppointment)).toEqual([`${ids.due} discharge`]);
    expect(list.appointmentsThisWeek.items).toEqual([
      expect.objectContaining({
        registryId: ids.booked,
        visitCode: 'discharge',
        appointmentId: appointment.id,
        localDate: soon,
        localTime: '10:30',
      }),
    ]);
    expect(visitsOf(list.missedAppointments)).toEqual([`${ids.noShow} discharge`]);
    expect(list.missedAppointments.items[0].appointmentId).toBe(missed.id);
    expect(visitsOf(list.overdueVisits)).toEqual([`${ids.overdue} discharge`, `${ids.overdue} day_30`]);
    expect(list.outcomesToRecord.count).toBe(0);
    expect(list.reminders.count).toBe(0);
    // Counts are the lengths; no identifier travels with the list.
    for (const section of [list.dueWithoutAppointment, list.overdueVisits, list.missedAppointments])
      expect(section.count).toBe(section.items.length);
    expect(JSON.stringify(list)).not.toMatch(/Robin|Reminded|7700 900|example\.org|nhsNumber|phone|email/);

    // A data manager reads it too; the other site's nurse gets 404, as for a site that does not exist.
    const outsider = await h.app.inject({
      method: 'GET',
      url: `/sites/${h.siteId}/worklist`,
      headers: bearer(other.nurse.accessToken),
    });
    expect(outsider.statusCode).toBe(404);

    // The nurse books the due visit: it leaves "due" and, being this week, joins the appointments.
    await h.book(due, 'discharge', addCalendarDays(today(), 1), '09:15');
    const after = await worklist();
    expect(after.dueWithoutAppointment.count).toBe(0);
    expect(after.appointmentsThisWeek.items.map((i) => i.registryId)).toEqual([
      await registryId(due),
      await registryId(booked),
    ]);
  });

  it('lists consent still to seek, inpatients without an outcome and incomplete records, until they are done (issue 24)', async () => {
    const patient = await enrol(h.app, h.nurse.accessToken);
    const id = patient.registryId;
    const sections = async () => {
      const list = await worklist();
      return {
        consent: list.consentToSeek.items.find((i) => i.registryId === id)?.consentState ?? null,
        inpatient: list.inpatientsWithoutOutcome.items.find((i) => i.registryId === id)?.onEcmo ?? null,
        incomplete:
          list.incompleteRecords.items.find((i) => i.registryId === id)?.fields.map((f) => f.field) ?? null,
      };
    };
    // Enrolled in an emergency, still on ECMO: consent to seek, an inpatient; the record is complete so far.
    expect(await sections()).toEqual({ consent: 'emergency_enrolled', inpatient: true, incomplete: null });
    const url = `/patients/${patient.id}`;
    const run = (await h.call('GET', url)).json<{ ecmoRuns: Array<{ id: string; startedAt: string }> }>()
      .ecmoRuns[0];
    const ended = await h.call(
      'PATCH',
      `${url}/ecmo-runs/${run.id}`,
      { endedAt: daysAgo(15), endReason: 'weaned' },
      { 'if-match': '"1"' },
    );
    expect(ended.statusCode).toBe(200);
    // Off ECMO: the hospital outcome is now due, so the record is incomplete until it is recorded.
    expect(await sections()).toEqual({
      consent: 'emergency_enrolled',
      inpatient: false,
      incomplete: ['outcome'],
    });
    const consent = await h.call('POST', `${url}/consent-events`, {
      kind: 'patient_consent',
      occurredAt: daysAgo(10),
    });
    expect(consent.statusCode).toBe(201);
    await h.discharge(patient.id, 3);
    expect(await sections()).toEqual({ consent: null, inpatient: null, incomplete: null });
  });

  it('shows a reminder the provider refused while its appointment is ahead, then drops it when cancelled', async () => {
    // A landline: Notify refuses to text it; the nurse must tell the patient some other way.
    const patientId = await h.patientReady({ phone: '+44 20 7946 0000' });
    const date = addCalendarDays(today(), 12);
    const appointment = await h.book(patientId, 'day_30', date, '11:00');
    await h.passTime(new Date(reminderInstant(date, 7, '09:00').getTime() + 1000));

    const list = await worklist();
    expect(list.reminders.items).toEqual([
      expect.objectContaining({
        patientId,
        appointmentId: appointment.id,
        reminderId: appointment.reminders[0].id,
        status: 'failed',
        reason: expect.stringContaining('Not a UK mobile number') as unknown,
      }),
    ]);

    const cancelled = await h.call(
      'POST',
      `/patients/${patientId}/appointments/${appointment.id}/cancel`,
      { reason: 'patient asked' },
      { 'if-match': '"1"' },
    );
    expect(cancelled.statusCode).toBe(200);
    expect((await worklist()).reminders.count).toBe(0);
  });

  it('refuses a site id that is not a UUID with the field, and a site that does not exist with 404', async () => {
    const bad = await h.app.inject({
      method: 'GET',
      url: '/sites/not-a-site/worklist',
      headers: bearer(h.admin.accessToken),
    });
    // Administrators do not read clinical worklists.
    expect(bad.statusCode).toBe(403);
    const manager = await createUser(h.app, h.admin.accessToken, 'data_manager', []);
    const invalid = await h.app.inject({
      method: 'GET',
      url: '/sites/not-a-site/worklist',
      headers: bearer(manager.accessToken),
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json<{ errors: { field: string }[] }>().errors[0].field).toBe('siteId');
    const missing = await h.app.inject({
      method: 'GET',
      url: '/sites/00000000-0000-4000-8000-000000000000/worklist',
      headers: bearer(manager.accessToken),
    });
    expect(missing.statusCode).toBe(404);
    const elsewhere = await createSite(h.app, h.admin.accessToken, 'Worklist Empty');
    const empty = await h.app.inject({
      method: 'GET',
      url: `/sites/${elsewhere.id}/worklist`,
      headers: bearer(manager.accessToken),
    });
    expect(empty.json<Worklist>()).toMatchObject({ site: { id: elsewhere.id }, overdueVisits: { count: 0 } });
    expect((await worklist(manager.accessToken)).overdueVisits.count).toBe(2);
  });
});
