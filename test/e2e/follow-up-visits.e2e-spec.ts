import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { CLOCK_ACTOR, DEFAULT_PROTOCOL, FollowUpClock } from '../../libs/followup/src/index.js';
import { addCalendarDays, localWallClock } from '../../libs/time/src/local-time.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, startApi, startWorker } from '../support/apps.js';
import { ALIVE_ASSESSMENT, daysAgo, enrol, nextLondonClockChanges } from '../support/patients.js';
import { londonDay } from '../../libs/time/src/index.js';

interface Visit {
  id: string;
  code: string;
  protocolVersion: number;
  dueOn: string | null;
  window: { opensOn: string | null; closesOn: string | null };
  status: string;
  statusReason: string | null;
  version: number;
}
interface Plan {
  patientVersion: number;
  protocolVersion: number;
  extendedFollowUp: boolean;
  lostToFollowUpOn: string | null;
  visits: Visit[];
  voidedAssessments: unknown[];
}

const DAY = 86_400_000;
const REQUIRED = ['discharge', 'day_30', 'month_3', 'month_6', 'month_12'];

/**
 * Issue 5, first slice: visits appear by themselves once the decannulation is known, follow the anchors,
 * and end with the patient's course; protocols are versioned; the clock moves visits as windows open.
 */
describe('follow-up: protocol and visits', () => {
  let app: NestFastifyApplication;
  let worker: NestFastifyApplication;
  let admin: SignedIn;
  let nurse: SignedIn & { id: string };
  let db: pg.Client;
  let siteId: string;

  const call = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    token: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => app.inject({ method, url, payload, headers: { ...bearer(token), ...headers } });

  const plan = async (patientId: string): Promise<Plan> => {
    const response = await call('GET', `/patients/${patientId}/follow-up`, nurse.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe(`"${response.json<Plan>().patientVersion}"`);
    return response.json<Plan>();
  };
  const current = (p: Plan) => p.visits.filter((v) => v.protocolVersion === p.protocolVersion);
  const visit = (p: Plan, code: string) => current(p).find((v) => v.code === code)!;

  /** Enrols a patient whose index run started `startDaysAgo` days ago, still on ECMO. */
  const enrolOnEcmo = async (startDaysAgo: number) => {
    const patient = await enrol(app, nurse.accessToken, {}, startDaysAgo);
    const summary = (await call('GET', `/patients/${patient.id}`, nurse.accessToken)).json<{
      ecmoRuns: Array<{ id: string; version: number }>;
    }>();
    return { id: patient.id, run: summary.ecmoRuns[0] };
  };

  /** Ends the index run at the given instant (a correction of the run, with its reason). */
  const decannulate = async (
    patient: { id: string; run: { id: string } },
    endedAt: string,
    endReason = 'weaned',
  ) => {
    const runUrl = `/patients/${patient.id}/ecmo-runs/${patient.run.id}`;
    const read = await call('GET', runUrl, nurse.accessToken);
    const response = await call(
      'PATCH',
      runUrl,
      nurse.accessToken,
      { endedAt, endReason, reason: 'decannulated in theatre' },
      { 'if-match': read.headers.etag as string },
    );
    expect(response.statusCode).toBe(200);
  };

  const changePlan = async (patientId: string, body: Record<string, unknown>) => {
    const { patientVersion } = await plan(patientId);
    return call('PATCH', `/patients/${patientId}/follow-up`, nurse.accessToken, body, {
      'if-match': `"${patientVersion}"`,
    });
  };

  beforeAll(async () => {
    app = await startApi();
    worker = await startWorker();
    db = await connect('owner');
    const email = uniqueEmail('follow-up-admin');
    admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Follow Heart');
    siteId = site.id;
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
  });

  afterAll(async () => {
    await db.end();
    await worker.close();
    await app.close();
  });

  it('plans no visit while the patient is on ECMO, then the five required ones at decannulation', async () => {
    const patient = await enrolOnEcmo(40);
    const before = await plan(patient.id);
    expect(before.protocolVersion).toBeGreaterThanOrEqual(1);
    expect(before.visits).toEqual([]);

    const endedAt = daysAgo(36);
    await decannulate(patient, endedAt);
    const after = await plan(patient.id);
    expect(current(after).map((v) => v.code)).toEqual(REQUIRED);
    const decannulation = londonDay(new Date(endedAt));
    const day30 = visit(after, 'day_30');
    expect(day30).toMatchObject({
      dueOn: addCalendarDays(decannulation, 30),
      window: { opensOn: addCalendarDays(decannulation, 23), closesOn: addCalendarDays(decannulation, 44) },
      status: 'due',
    });
    expect(visit(after, 'month_3')).toMatchObject({
      dueOn: addCalendarDays(decannulation, 90),
      status: 'scheduled',
    });
    // The discharge visit waits for its anchor.
    expect(visit(after, 'discharge')).toMatchObject({ dueOn: null, status: 'scheduled' });

    // The summary shows the same plan.
    const summary = (await call('GET', `/patients/${patient.id}`, nurse.accessToken)).json<{
      followUp: Plan;
    }>();
    expect(summary.followUp.visits.map((v) => v.code)).toEqual(after.visits.map((v) => v.code));
  });

  it('recomputes the visits when the anchor changes, and dates the discharge visit at discharge', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const first = visit(await plan(patient.id), 'day_30');

    const later = daysAgo(33);
    await decannulate(patient, later);
    const moved = visit(await plan(patient.id), 'day_30');
    expect(moved.id).toBe(first.id);
    expect(moved.dueOn).toBe(addCalendarDays(londonDay(new Date(later)), 30));
    expect(moved.version).toBe(first.version + 1);

    const dischargedAt = daysAgo(5);
    const outcome = await call('POST', `/patients/${patient.id}/outcome`, nurse.accessToken, {
      kind: 'discharge',
      occurredAt: dischargedAt,
      destination: 'home',
    });
    expect(outcome.statusCode).toBe(201);
    const discharge = visit(await plan(patient.id), 'discharge');
    expect(discharge).toMatchObject({ dueOn: londonDay(new Date(dischargedAt)), status: 'due' });

    // Every visit change is in the audit trail, by the nurse whose change moved it.
    const { rows } = await db.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_event WHERE entity_type = 'follow_up_visit' AND entity_id = $1 ORDER BY id`,
      [first.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['insert', 'update']);
    expect(new Set(rows.map((r) => r.actor))).toEqual(new Set([`user:${nurse.id}`]));
  });

  it('ends the visits with the patient’s course: death in hospital, withdrawal (b), loss and return', async () => {
    const died = await enrolOnEcmo(40);
    await decannulate(died, daysAgo(36));
    const death = await call('POST', `/patients/${died.id}/outcome`, nurse.accessToken, {
      kind: 'death',
      occurredAt: daysAgo(30),
      causeOfDeath: 'cardiac',
    });
    expect(death.statusCode).toBe(201);
    const afterDeath = await plan(died.id);
    expect(current(afterDeath).map((v) => [v.status, v.statusReason])).toEqual(
      REQUIRED.map(() => ['not_required', 'death']),
    );

    const withdrawn = await enrolOnEcmo(40);
    await decannulate(withdrawn, daysAgo(36));
    const withdrawal = await call('POST', `/patients/${withdrawn.id}/consent-events`, nurse.accessToken, {
      kind: 'withdrawal',
      withdrawalLevel: 'b',
      occurredAt: daysAgo(1),
    });
    expect(withdrawal.statusCode).toBe(201);
    expect(current(await plan(withdrawn.id)).every((v) => v.statusReason === 'withdrawal')).toBe(true);

    const lost = await enrolOnEcmo(40);
    await decannulate(lost, daysAgo(36));
    const declared = await changePlan(lost.id, {
      lostToFollowUpOn: londonDay(new Date()),
      reason: 'no answer to three calls and two letters',
    });
    expect(declared.statusCode).toBe(200);
    const lostPlan = declared.json<Plan>();
    expect(visit(lostPlan, 'day_30').status).toBe('lost_to_follow_up');
    expect(visit(lostPlan, 'month_3')).toMatchObject({
      status: 'not_required',
      statusReason: 'lost_to_follow_up',
    });
    const found = await changePlan(lost.id, { lostToFollowUpOn: null, reason: 'the patient called back' });
    expect(visit(found.json<Plan>(), 'day_30').status).toBe('due');
    expect(visit(found.json<Plan>(), 'month_3').status).toBe('scheduled');
  });

  it('drops the visits of a patient who declines: kept only as a count', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const declined = await call('POST', `/patients/${patient.id}/consent-events`, nurse.accessToken, {
      kind: 'patient_declined',
      occurredAt: daysAgo(1),
    });
    expect(declined.statusCode).toBe(201);
    const { rows } = await db.query<{ status: string; status_reason: string }>(
      `SELECT status, status_reason FROM follow_up_visit WHERE patient_id = $1`,
      [patient.id],
    );
    expect(rows).toHaveLength(REQUIRED.length);
    expect(rows.every((r) => r.status === 'not_required' && r.status_reason === 'declined')).toBe(true);
    expect((await call('GET', `/patients/${patient.id}/follow-up`, nurse.accessToken)).statusCode).toBe(409);
  });

  it('plans the optional yearly visits on extended follow-up only', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const on = await changePlan(patient.id, {
      extendedFollowUp: true,
      reason: 'site joins the 5-year study',
    });
    expect(on.statusCode).toBe(200);
    expect(current(on.json<Plan>()).map((v) => v.code)).toEqual([
      ...REQUIRED,
      'year_2',
      'year_3',
      'year_4',
      'year_5',
    ]);
    const off = await changePlan(patient.id, { extendedFollowUp: false, reason: 'entered in error' });
    expect(visit(off.json<Plan>(), 'year_2')).toMatchObject({
      status: 'not_required',
      statusReason: 'not_planned',
    });
  });

  it('keeps patients on their protocol version when a new one is published, until moved (audited)', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const before = await plan(patient.id);

    // An optional extra visit only: other test files of this worker enrol onto the latest version.
    const published = await call('POST', '/follow-up/protocols', admin.accessToken, {
      title: 'Protocol with an optional month-18 visit',
      visits: [
        ...DEFAULT_PROTOCOL,
        {
          code: 'month_18',
          label: 'Month 18',
          anchor: 'decannulation',
          offsetDays: 547,
          windowBeforeDays: 30,
          windowAfterDays: 30,
          optional: true,
        },
      ],
    });
    expect(published.statusCode).toBe(201);
    const version = published.json<{ version: number }>().version;
    expect(version).toBeGreaterThan(before.protocolVersion);
    expect((await plan(patient.id)).protocolVersion).toBe(before.protocolVersion);
    const newcomer = await enrolOnEcmo(10);
    expect((await plan(newcomer.id)).protocolVersion).toBe(version);

    const moved = await changePlan(patient.id, {
      protocolVersion: version,
      extendedFollowUp: true,
      reason: 'site adopts the new protocol',
    });
    expect(moved.statusCode).toBe(200);
    const plan2 = moved.json<Plan>();
    expect(current(plan2).map((v) => v.code)).toContain('month_18');
    const old = plan2.visits.filter((v) => v.protocolVersion === before.protocolVersion);
    expect(old.every((v) => v.status === 'not_required' && v.statusReason === 'protocol_changed')).toBe(true);
    const { rows } = await db.query<{ reason: string; new_values: { protocol_version: number } }>(
      `SELECT reason, new_values FROM audit_event
        WHERE entity_type = 'patient' AND entity_id = $1 AND action = 'update' ORDER BY id DESC LIMIT 1`,
      [patient.id],
    );
    expect(rows[0]).toMatchObject({
      reason: 'site adopts the new protocol',
      new_values: { protocol_version: version },
    });
  });

  it('refuses bad plan changes and protocols with the field and the reason, changing nothing', async () => {
    const patient = await enrolOnEcmo(40);
    const url = `/patients/${patient.id}/follow-up`;
    const { patientVersion } = await plan(patient.id);
    const ifMatch = { 'if-match': `"${patientVersion}"` };
    const unknown = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { protocolVersion: 9999, reason: 'move' },
      ifMatch,
    );
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([
      { field: 'protocolVersion', reason: 'is not a published protocol version' },
    ]);
    const future = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { lostToFollowUpOn: addCalendarDays(londonDay(new Date()), 2), reason: 'lost' },
      ifMatch,
    );
    expect(future.statusCode).toBe(422);
    const noReason = await call('PATCH', url, nurse.accessToken, { extendedFollowUp: true }, ifMatch);
    expect(noReason.statusCode).toBe(400);
    expect(
      (await call('PATCH', url, nurse.accessToken, { extendedFollowUp: true, reason: 'x y z' })).statusCode,
    ).toBe(428);
    const stale = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { extendedFollowUp: true, reason: 'stale' },
      { 'if-match': `"${patientVersion + 5}"` },
    );
    expect(stale.statusCode).toBe(409);
    expect((await plan(patient.id)).patientVersion).toBe(patientVersion);

    const twice = await call('POST', '/follow-up/protocols', admin.accessToken, {
      title: 'Broken protocol',
      visits: [DEFAULT_PROTOCOL[1], DEFAULT_PROTOCOL[1]],
    });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().errors).toEqual([{ field: 'visits.1.code', reason: 'day_30 appears twice' }]);
    const badAnchor = await call('POST', '/follow-up/protocols', admin.accessToken, {
      title: 'Broken protocol',
      visits: [{ ...DEFAULT_PROTOCOL[1], anchor: 'operation' }],
    });
    expect(badAnchor.statusCode).toBe(400);
    expect(badAnchor.body).toContain('visits.0.anchor');
  });

  it('moves visits with the clock as their windows open and close (audited as the clock)', async () => {
    const patient = await enrolOnEcmo(40);
    const endedAt = daysAgo(36);
    await decannulate(patient, endedAt);
    const month3 = visit(await plan(patient.id), 'month_3');
    expect(month3.status).toBe('scheduled');
    const clock = worker.get(FollowUpClock);

    // The day the month-3 window opens: due; the day after it closes: missed.
    const opens = new Date(`${month3.window.opensOn}T12:00:00Z`);
    expect(await clock.advance(opens)).toBeGreaterThanOrEqual(1);
    expect(visit(await plan(patient.id), 'month_3').status).toBe('due');
    const closed = new Date(`${addCalendarDays(month3.window.closesOn!, 1)}T12:00:00Z`);
    await clock.advance(closed);
    const after = await plan(patient.id);
    expect(visit(after, 'month_3').status).toBe('missed');
    expect(visit(after, 'day_30').status).toBe('missed');
    const { rows } = await db.query<{ actor: string }>(
      `SELECT DISTINCT actor FROM audit_event
        WHERE entity_type = 'follow_up_visit' AND entity_id = $1 AND action = 'update'`,
      [month3.id],
    );
    expect(rows.map((r) => r.actor)).toEqual([CLOCK_ACTOR]);
    // Nothing left to move on that day for this patient: a second run is a no-op for it.
    const again = await db.query(`SELECT version FROM follow_up_visit WHERE id = $1`, [month3.id]);
    await clock.advance(closed);
    const still = await db.query(`SELECT version FROM follow_up_visit WHERE id = $1`, [month3.id]);
    expect(still.rows).toEqual(again.rows);
  });

  const assess = (patientId: string, body: Record<string, unknown>) =>
    call('POST', `/patients/${patientId}/assessments`, nurse.accessToken, body);
  const ALIVE = ALIVE_ASSESSMENT;
  /** A death recorded today at a visit, by telephone (cardiac, mRS 6). */
  const deathAtVisit = (patientId: string, visitId: string, diedOn: string) =>
    assess(patientId, {
      visitId,
      assessedOn: londonDay(new Date()),
      source: 'telephone',
      vitalStatus: 'dead',
      diedOn,
      causeOfDeath: 'cardiac',
      mrs: 6,
    });

  it('records a visit’s assessment: the visit is completed, the summary shows it, the trail has it', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const day30 = visit(await plan(patient.id), 'day_30');
    const today = londonDay(new Date());
    const created = await assess(patient.id, { ...ALIVE, visitId: day30.id, assessedOn: today });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const assessment = created.json<{ id: string }>();
    const after = await plan(patient.id);
    expect(visit(after, 'day_30')).toMatchObject({
      status: 'completed',
      assessment: { id: assessment.id, mrs: 1, eqVas: 80, assessedOn: today },
    });
    const summary = (await call('GET', `/patients/${patient.id}`, nurse.accessToken)).json<{
      followUp: Plan;
    }>();
    expect(visit(summary.followUp, 'day_30').status).toBe('completed');
    const { rows } = await db.query(
      `SELECT 1 FROM audit_event WHERE entity_type = 'follow_up_assessment' AND entity_id = $1`,
      [assessment.id],
    );
    expect(rows).toHaveLength(1);

    // One live assessment per visit.
    const again = await assess(patient.id, { ...ALIVE, visitId: day30.id, assessedOn: today });
    expect(again.statusCode).toBe(409);

    // A correction with If-Match and a reason; a void reopens the visit.
    const url = `/patients/${patient.id}/assessments/${assessment.id}`;
    const corrected = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { eqVas: 75, reason: 'VAS misread from the form' },
      { 'if-match': '"1"' },
    );
    expect(corrected.statusCode).toBe(200);
    expect(corrected.json()).toMatchObject({ eqVas: 75, version: 2 });
    const voided = await call(
      'POST',
      `${url}/void`,
      nurse.accessToken,
      { reason: 'recorded on the wrong patient' },
      { 'if-match': '"2"' },
    );
    expect(voided.statusCode).toBe(200);
    const reopened = await plan(patient.id);
    expect(visit(reopened, 'day_30')).toMatchObject({ status: 'due', assessment: null });
    expect(reopened.voidedAssessments).toHaveLength(1);
  });

  it('refuses assessments that break the rules or the timeline, with the field, writing nothing', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const day30 = visit(await plan(patient.id), 'day_30');
    const today = londonDay(new Date());
    // Another patient's visit: the database's foreign key on the visit's id and patient refuses it.
    const someoneElse = await enrolOnEcmo(40);
    await decannulate(someoneElse, daysAgo(36));
    const theirDay30 = visit(await plan(someoneElse.id), 'day_30');
    const cases: Array<[Record<string, unknown>, number, string]> = [
      // Each field named as the body sent it (issue 24).
      [{ ...ALIVE, assessedOn: addCalendarDays(today, 3) }, 422, 'assessedOn'],
      [{ ...ALIVE, assessedOn: today, diedOn: today }, 422, 'diedOn'],
      [{ ...ALIVE, assessedOn: today, mrs: 7 }, 400, 'mrs'],
      [{ ...ALIVE, assessedOn: today, mrs: 6 }, 422, 'mrs'],
      [
        { ...ALIVE, assessedOn: today, vitalStatus: 'dead', diedOn: today, causeOfDeath: 'cardiac', mrs: 3 },
        422,
        'mrs',
      ],
      [
        { ...ALIVE, assessedOn: today, vitalStatus: 'dead', diedOn: today, causeOfDeath: 'boredom', mrs: 6 },
        422,
        'causeOfDeath',
      ],
      [
        { ...ALIVE, assessedOn: today, eqVas: undefined, missing: { eqVas: 'not_done', diedOn: 'unknown' } },
        422,
        'missing.diedOn',
      ],
      [{ ...ALIVE, assessedOn: today, visitId: '00000000-0000-4000-8000-000000000000' }, 422, 'visitId'],
      [{ ...ALIVE, assessedOn: today, visitId: theirDay30.id }, 422, 'visitId'],
    ];
    for (const [body, status, field] of cases) {
      const response = await assess(patient.id, { visitId: day30.id, ...body });
      expect({ field, status: response.statusCode }).toEqual({ field, status });
      expect(response.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
    }
    const { rows } = await db.query(`SELECT 1 FROM follow_up_assessment WHERE patient_id = $1`, [patient.id]);
    expect(rows).toHaveLength(0);

    // A missing value with its reason is accepted, and leaves the completeness list.
    const partial = await assess(patient.id, {
      ...ALIVE,
      visitId: day30.id,
      assessedOn: today,
      eqVas: undefined,
      missing: { eqVas: 'not_done' },
    });
    expect(partial.statusCode).toBe(201);
    expect(partial.json()).toMatchObject({ eqVas: null, missing: { eqVas: 'not_done' } });
  });

  it('ends the follow-up at a death recorded at a visit, and refuses the living after it', async () => {
    const patient = await enrolOnEcmo(60);
    await decannulate(patient, daysAgo(56));
    const discharged = await call('POST', `/patients/${patient.id}/outcome`, nurse.accessToken, {
      kind: 'discharge',
      occurredAt: daysAgo(40),
      destination: 'home',
    });
    expect(discharged.statusCode).toBe(201);
    const before = await plan(patient.id);
    const diedOn = londonDay(new Date(Date.now() - 10 * DAY));
    const death = await deathAtVisit(patient.id, visit(before, 'day_30').id, diedOn);
    expect(death.statusCode).toBe(201);
    const after = await plan(patient.id);
    expect(visit(after, 'day_30').status).toBe('completed');
    for (const code of ['month_3', 'month_6', 'month_12']) {
      expect(visit(after, code)).toMatchObject({ status: 'not_required', statusReason: 'death' });
    }
    const living = await assess(patient.id, {
      ...ALIVE,
      visitId: visit(after, 'month_3').id,
      assessedOn: londonDay(new Date()),
    });
    expect(living.statusCode).toBe(422);
    expect(living.json().errors[0]).toMatchObject({
      field: 'vitalStatus',
      reason: expect.stringContaining(`after the patient's death on ${diedOn}`),
    });
  });

  it('refuses an assessment dated after a withdrawal from data collection (level b) with 409', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const day30 = visit(await plan(patient.id), 'day_30');
    const withdrawal = await call('POST', `/patients/${patient.id}/consent-events`, nurse.accessToken, {
      kind: 'withdrawal',
      withdrawalLevel: 'b',
      occurredAt: daysAgo(2),
    });
    expect(withdrawal.statusCode).toBe(201);
    const late = await assess(patient.id, { ...ALIVE, visitId: day30.id, assessedOn: londonDay(new Date()) });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('withdrew from data collection');
  });

  const book = (patientId: string, body: Record<string, unknown>) =>
    call('POST', `/patients/${patientId}/appointments`, nurse.accessToken, body);

  it('books, moves and cancels an appointment; the visit shows booked, then due again', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const day30 = visit(await plan(patient.id), 'day_30');
    const date = addCalendarDays(londonDay(new Date()), 3);
    const booked = await book(patient.id, {
      visitId: day30.id,
      date,
      time: '10:30',
      mode: 'clinic',
      place: 'OPD 2',
    });
    expect(booked.statusCode).toBe(201);
    const appointment = booked.json<{ id: string; startsAt: string; zone: string }>();
    expect(appointment.zone).toBe('Europe/London');
    expect(localWallClock(new Date(appointment.startsAt))).toEqual({ date, time: '10:30' });
    expect(visit(await plan(patient.id), 'day_30')).toMatchObject({
      status: 'booked',
      appointments: [{ id: appointment.id, status: 'booked', date, time: '10:30' }],
    });
    const twice = await book(patient.id, { visitId: day30.id, date, time: '11:30', mode: 'clinic' });
    expect(twice.statusCode).toBe(409);

    const url = `/patients/${patient.id}/appointments/${appointment.id}`;
    const moved = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { date: addCalendarDays(date, 1), time: '14:15', reason: 'patient asked for the afternoon' },
      { 'if-match': '"1"' },
    );
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({
      date: addCalendarDays(date, 1),
      time: '14:15',
      version: 2,
      status: 'booked',
    });
    const stale = await call(
      'PATCH',
      url,
      nurse.accessToken,
      { time: '09:00', reason: 'stale' },
      { 'if-match': '"1"' },
    );
    expect(stale.statusCode).toBe(409);
    const cancelled = await call(
      'POST',
      `${url}/cancel`,
      nurse.accessToken,
      { reason: 'patient readmitted' },
      {
        'if-match': '"2"',
      },
    );
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancelReason: 'patient readmitted' });
    expect(visit(await plan(patient.id), 'day_30').status).toBe('due');
    const { rows } = await db.query<{ action: string; reason: string | null }>(
      `SELECT action, reason FROM audit_event WHERE entity_type = 'appointment' AND entity_id = $1 ORDER BY id`,
      [appointment.id],
    );
    expect(rows.map((r) => [r.action, r.reason])).toEqual([
      ['insert', null],
      ['update', 'patient asked for the afternoon'],
      ['update', 'patient readmitted'],
    ]);
  });

  it('refuses local times that do not exist or happen twice on clock-change days, and past ones', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const visitId = visit(await plan(patient.id), 'month_3').id;
    const { march, october } = nextLondonClockChanges();
    const gap = await book(patient.id, { visitId, date: march, time: '01:30', mode: 'clinic' });
    expect(gap.statusCode).toBe(422);
    expect(gap.json().errors).toEqual([{ field: 'time', reason: expect.stringContaining('does not exist') }]);
    const twice = await book(patient.id, { visitId, date: october, time: '01:30', mode: 'clinic' });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().errors).toEqual([
      { field: 'time', reason: expect.stringContaining('happens twice') },
    ]);
    const past = await book(patient.id, {
      visitId,
      date: londonDay(new Date(Date.now() - DAY)),
      time: '10:00',
      mode: 'clinic',
    });
    expect(past.statusCode).toBe(422);
    expect(past.json().errors[0].field).toBe('date');
    const badTime = await book(patient.id, {
      visitId,
      date: addCalendarDays(march, 1),
      time: '25:00',
      mode: 'clinic',
    });
    expect(badTime.statusCode).toBe(400);
    const { rows } = await db.query(`SELECT 1 FROM appointment WHERE patient_id = $1`, [patient.id]);
    expect(rows).toHaveLength(0);

    // The morning after the change: 09:00 BST is 08:00 UTC; the day before, 09:00 GMT is 09:00 UTC.
    const after = await book(patient.id, { visitId, date: march, time: '09:00', mode: 'video' });
    expect(after.statusCode).toBe(201);
    expect(after.json().startsAt).toBe(`${march}T08:00:00.000Z`);
    const moved = await call(
      'PATCH',
      `/patients/${patient.id}/appointments/${after.json().id}`,
      nurse.accessToken,
      { date: addCalendarDays(march, -1), reason: 'a day earlier' },
      { 'if-match': '"1"' },
    );
    expect(moved.json().startsAt).toBe(`${addCalendarDays(march, -1)}T09:00:00.000Z`);
  });

  it('records a no-show: the visit stays due and can be booked again; attendance waits for the start', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const day30 = visit(await plan(patient.id), 'day_30');
    const soon = localWallClock(new Date(Date.now() + 5 * 60_000));
    const booked = await book(patient.id, { visitId: day30.id, ...soon, mode: 'telephone' });
    expect(booked.statusCode).toBe(201);
    const missed = await call(
      'POST',
      `/patients/${patient.id}/appointments/${booked.json().id}/missed`,
      nurse.accessToken,
      undefined,
      { 'if-match': '"1"' },
    );
    expect(missed.statusCode).toBe(200);
    expect(missed.json().status).toBe('missed');
    expect(visit(await plan(patient.id), 'day_30').status).toBe('due');

    const later = await book(patient.id, {
      visitId: day30.id,
      date: addCalendarDays(londonDay(new Date()), 2),
      time: '10:00',
      mode: 'clinic',
    });
    expect(later.statusCode).toBe(201);
    const early = await call(
      'POST',
      `/patients/${patient.id}/appointments/${later.json().id}/attended`,
      nurse.accessToken,
      undefined,
      { 'if-match': '"1"' },
    );
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('before it starts');
  });

  it('refuses to book a visit that is no longer required', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const month3 = visit(await plan(patient.id), 'month_3');
    await call('POST', `/patients/${patient.id}/outcome`, nurse.accessToken, {
      kind: 'death',
      occurredAt: daysAgo(30),
      causeOfDeath: 'cardiac',
    });
    const refused = await book(patient.id, {
      visitId: month3.id,
      date: addCalendarDays(londonDay(new Date()), 2),
      time: '10:00',
      mode: 'clinic',
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('not required');
  });

  interface Appointment {
    id: string;
    status: string;
    cancelReason: string | null;
    warning: string | null;
    version: number;
    reminders: Array<{ status: string; statusReason: string | null }>;
  }
  const appointment = async (patientId: string, id: string) =>
    (await call('GET', `/patients/${patientId}/appointments/${id}`, nurse.accessToken)).json<Appointment>();
  const weekOf = async () =>
    (await call('GET', `/sites/${siteId}/worklist`, nurse.accessToken)).json<{
      appointmentsThisWeek: { items: Array<{ appointmentId: string }> };
      bookedOutsideWindow: { items: Array<{ appointmentId: string }> };
    }>();

  /** A patient decannulated 36 days ago with day 30 booked in 3 days and month 3 in its window. */
  const bookedPatient = async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const p = await plan(patient.id);
    const ids: string[] = [];
    for (const [code, date] of [
      ['day_30', addCalendarDays(londonDay(new Date()), 3)],
      ['month_3', visit(p, 'month_3').dueOn!],
    ] as const) {
      const booked = await book(patient.id, {
        visitId: visit(p, code).id,
        date,
        time: '10:30',
        mode: 'clinic',
      });
      expect(booked.statusCode).toBe(201);
      ids.push(booked.json<{ id: string }>().id);
    }
    expect((await weekOf()).appointmentsThisWeek.items.map((i) => i.appointmentId)).toContain(ids[0]);
    return { patient, ids };
  };

  /** The appointments' trail: each cancellation audited under the nurse who recorded the change. */
  const cancellationsAudited = async (ids: string[]) =>
    (
      await db.query<{ actor: string }>(
        `SELECT actor FROM audit_event
          WHERE entity_type = 'appointment' AND entity_id = ANY($1) AND new_values->>'status' = 'cancelled'`,
        [ids],
      )
    ).rows.map((r) => r.actor);

  it('cancels the booked appointments of visits no longer required after a death at a visit (issue 24)', async () => {
    const { patient, ids } = await bookedPatient();
    const p = await plan(patient.id);
    // Death recorded at the day-30 visit (by telephone): month 3 onwards are no longer required.
    const diedOn = londonDay(new Date(Date.now() - DAY));
    const death = await deathAtVisit(patient.id, visit(p, 'day_30').id, diedOn);
    expect(death.statusCode).toBe(201);
    const month3 = await appointment(patient.id, ids[1]);
    expect(month3).toMatchObject({
      status: 'cancelled',
      cancelReason: 'visit not required: the patient died',
    });
    expect(month3.reminders.every((r) => r.status === 'cancelled')).toBe(true);
    expect(await cancellationsAudited([ids[1]])).toEqual([`user:${nurse.id}`]);
    // The summary's derived facts show the death recorded at the visit (a day: no time was recorded).
    const summary = (await call('GET', `/patients/${patient.id}`, nurse.accessToken)).json<{
      derived: { deathAt: string | null; deathOn: string | null; deathRecordedIn: string | null };
    }>();
    expect(summary.derived).toMatchObject({
      deathAt: diedOn,
      deathOn: diedOn,
      deathRecordedIn: 'follow_up_visit',
    });
    // The patient's history holds every change to their follow-up records: the booking, the assessment, the
    // cancellation it caused (with its reason), the visits it ended.
    const history = (await call('GET', `/patients/${patient.id}/history`, nurse.accessToken)).json<
      Array<{
        record: string;
        recordId: string;
        action: string;
        actor: string;
        changes: Array<{ field: string; to?: unknown }>;
      }>
    >();
    const of = (record: string, recordId?: string) =>
      history.filter((e) => e.record === record && (recordId === undefined || e.recordId === recordId));
    expect(of('appointment', ids[1]).map((e) => e.action)).toEqual(['insert', 'update']);
    expect(of('appointment', ids[1])[1].changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: 'booked', to: 'cancelled' },
        { field: 'cancelReason', from: null, to: 'visit not required: the patient died' },
      ]),
    );
    expect(of('follow_up_assessment').map((e) => [e.action, e.actor])).toEqual([
      ['insert', `user:${nurse.id}`],
    ]);
    expect(of('follow_up_visit').length).toBeGreaterThan(0);
  });

  it('cancels the booked appointments after a withdrawal at level (b); the worklist drops them (issue 24)', async () => {
    const { patient, ids } = await bookedPatient();
    const withdrawal = await call('POST', `/patients/${patient.id}/consent-events`, nurse.accessToken, {
      kind: 'withdrawal',
      withdrawalLevel: 'b',
      occurredAt: new Date().toISOString(),
    });
    expect(withdrawal.statusCode).toBe(201);
    for (const id of ids) {
      expect(await appointment(patient.id, id)).toMatchObject({
        status: 'cancelled',
        cancelReason: 'visit not required: withdrawn from follow-up (level b)',
      });
    }
    expect(await cancellationsAudited(ids)).toEqual([`user:${nurse.id}`, `user:${nurse.id}`]);
    const week = (await weekOf()).appointmentsThisWeek.items.map((i) => i.appointmentId);
    expect(week).not.toContain(ids[0]);
  });

  it('books outside the window with a warning the worklist repeats; refuses a date a year beyond it (issue 24)', async () => {
    const patient = await enrolOnEcmo(40);
    await decannulate(patient, daysAgo(36));
    const month3 = visit(await plan(patient.id), 'month_3');
    const late = addCalendarDays(month3.window.closesOn!, 5);
    const booked = await book(patient.id, { visitId: month3.id, date: late, time: '09:15', mode: 'clinic' });
    expect(booked.statusCode).toBe(201);
    expect(booked.json<Appointment>().warning).toBe(
      `booked after the visit's window closes: the visit's window is ${month3.window.opensOn} to ${month3.window.closesOn}`,
    );
    const id = booked.json<Appointment>().id;
    expect((await weekOf()).bookedOutsideWindow.items.map((i) => i.appointmentId)).toContain(id);
    expect(visit(await plan(patient.id), 'month_3')).toMatchObject({
      status: 'scheduled',
      bookedOutsideWindow: expect.stringContaining('after the visit'),
    });
    const last = addCalendarDays(month3.window.closesOn!, 365);
    for (const date of [addCalendarDays(last, 1), '9999-12-31']) {
      const far = await call(
        'PATCH',
        `/patients/${patient.id}/appointments/${id}`,
        nurse.accessToken,
        { date, reason: 'clinic moved' },
        { 'if-match': '"1"' },
      );
      expect(far.statusCode).toBe(422);
      expect(far.json().errors).toEqual([
        {
          field: 'date',
          reason: `must be from ${addCalendarDays(month3.window.opensOn!, -365)} to ${last} (the visit's window give or take 365 days)`,
        },
      ]);
    }
    expect(await appointment(patient.id, id)).toMatchObject({ version: 1, warning: expect.any(String) });
  });

  it('filters the patient list by consent, vital status, visit state and part of the registry ID; lists a clinic (issue 24)', async () => {
    // Three patients of this site: one with day 30 due and booked, one who died at a visit, one consented.
    const booked = await bookedPatient();
    const dead = await enrolOnEcmo(40);
    await decannulate(dead, daysAgo(36));
    const died = await deathAtVisit(
      dead.id,
      visit(await plan(dead.id), 'day_30').id,
      londonDay(new Date(Date.now() - DAY)),
    );
    expect(died.statusCode).toBe(201);
    const consented = await enrolOnEcmo(10);
    expect(
      (
        await call('POST', `/patients/${consented.id}/consent-events`, nurse.accessToken, {
          kind: 'patient_consent',
          occurredAt: daysAgo(1),
        })
      ).statusCode,
    ).toBe(201);
    const ids = async (query: string) => {
      const response = await call('GET', `/patients?limit=200&${query}`, nurse.accessToken);
      expect(response.statusCode).toBe(200);
      return response.json<Array<{ id: string; registryId: string }>>().map((p) => p.id);
    };
    const dueOrBooked = await ids('visitStatus=booked');
    expect(dueOrBooked).toContain(booked.patient.id);
    expect(dueOrBooked).not.toContain(dead.id);
    expect(await ids('vitalStatus=dead')).toContain(dead.id);
    expect(await ids('vitalStatus=dead')).not.toContain(booked.patient.id);
    expect(await ids('vitalStatus=alive')).not.toContain(dead.id);
    expect(await ids('consentState=consented')).toContain(consented.id);
    expect(await ids('consentState=consented')).not.toContain(dead.id);
    const registryId = (await call('GET', `/patients/${consented.id}`, nurse.accessToken)).json<{
      registryId: string;
    }>().registryId;
    const number = registryId.split('-')[1];
    expect(await ids(`registryIdContains=${number}`)).toContain(consented.id);
    expect(await ids(`registryIdContains=${registryId.toLowerCase()}`)).toEqual([consented.id]);
    // A wildcard is not a registry ID's part: refused with the field, as is an unknown state.
    for (const [query, field] of [
      ['registryIdContains=%25', 'registryIdContains'],
      ['consentState=maybe', 'consentState'],
      ['visitStatus=late', 'visitStatus'],
    ]) {
      const refused = await call('GET', `/patients?${query}`, nurse.accessToken);
      expect(refused.statusCode).toBe(400);
      expect(refused.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toContain(
        field,
      );
    }

    // The clinic list: the site's appointments on a range of days, by start.
    const today = londonDay(new Date());
    const clinic = await call(
      'GET',
      `/sites/${siteId}/appointments?from=${today}&to=${addCalendarDays(today, 7)}&status=booked`,
      nurse.accessToken,
    );
    expect(clinic.statusCode).toBe(200);
    expect(clinic.json<Array<{ appointmentId: string }>>().map((a) => a.appointmentId)).toContain(
      booked.ids[0],
    );
    expect(clinic.json<Array<{ appointmentId: string }>>().map((a) => a.appointmentId)).not.toContain(
      booked.ids[1],
    );
    const backwards = await call(
      'GET',
      `/sites/${siteId}/appointments?from=${today}&to=${addCalendarDays(today, -1)}`,
      nurse.accessToken,
    );
    expect(backwards.statusCode).toBe(422);
    expect(backwards.json().errors[0].field).toBe('to');
  });
});
