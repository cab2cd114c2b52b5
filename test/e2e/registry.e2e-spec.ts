import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, startApi } from '../support/apps.js';
import { dateDaysAgo, daysAgo, enrol, enrolment } from '../support/patients.js';

interface Problem {
  detail: string;
  errors: Array<{ field: string; reason: string }>;
}

/**
 * Issue 4's "done means", through the HTTP API only: a nurse enrols an eligible patient (and is refused an
 * ineligible one with the reason), records consent events, complications, the end of the run, a discharge, corrects a value with a
 * reason (and sees the eligibility flag a correction raises), loses a race to a stale update, finds the
 * patient by NHS number, reads the summary and the history; a declined patient's identity is unreadable
 * afterwards, to everyone and in the audit trail.
 */
describe('registry core: the research nurse’s scenario', () => {
  let app: NestFastifyApplication;
  let admin: SignedIn;
  let nurse: SignedIn & { id: string };
  let otherNurse: SignedIn & { id: string };
  let db: pg.Client;
  let site: { id: string; code: string };
  let otherSite: { id: string; code: string };

  const call = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    token: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => app.inject({ method, url, payload, headers: { ...bearer(token), ...headers } });

  beforeAll(async () => {
    app = await startApi();
    db = await connect('owner');
    const email = uniqueEmail('registry-admin');
    admin = await onboard(app, email, await createAdminWithCli(email));
    site = await createSite(app, admin.accessToken, 'Leeds Heart');
    otherSite = await createSite(app, admin.accessToken, 'Other Heart');
    nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
    otherNurse = await createUser(app, admin.accessToken, 'research_nurse', [otherSite.id]);
  });

  afterAll(async () => {
    await db.end();
    await app.close();
  });

  it('enrols an eligible patient with a registry ID of the site code and sequence, and the derived facts', async () => {
    const first = await enrol(app, nurse.accessToken);
    const second = await enrol(app, nurse.accessToken);
    expect(first.registryId).toBe(`${site.code}-0001`);
    expect(second.registryId).toBe(`${site.code}-0002`);
    const summary = await call('GET', `/patients/${first.id}`, nurse.accessToken);
    expect(summary.statusCode).toBe(200);
    expect(summary.headers.etag).toBe('"1"');
    const body = summary.json();
    expect(body).toMatchObject({
      registryId: first.registryId,
      ageAtEcmoStart: expect.any(Number),
      eligibility: { eligible: true, failures: [] },
      consent: { state: 'emergency_enrolled' },
      operation: { category: 'cabg', euroscoreIi: 6.4 },
      derived: { onEcmo: true, survivedEcmo: null, survivedToDischarge: null },
    });
    expect(body.ecmoRuns).toHaveLength(1);
    // Off ECMO is not yet recorded: the outcome is not due; the run's end is not an expected field.
    expect(body.completeness).toEqual([]);
  });

  it('refuses an ineligible patient with every rule that failed, and changes nothing', async () => {
    const before = await db.query(`SELECT count(*)::int AS n FROM patient`);
    const payload = enrolment();
    const run = payload.ecmoRun as Record<string, unknown>;
    const response = await call('POST', '/patients', nurse.accessToken, {
      ...payload,
      identity: { ...(payload.identity as object), dateOfBirth: dateDaysAgo(365 * 17) },
      ecmoRun: { ...run, mode: 'VV' },
    });
    expect(response.statusCode).toBe(422);
    const problem = response.json<{ detail: string; errors: Array<{ field: string; reason: string }> }>();
    expect(problem.errors).toEqual([
      { field: 'identity.dateOfBirth', reason: expect.stringMatching(/^adult: aged 1[67] at ECMO start/) },
      { field: 'ecmoRun.mode', reason: expect.stringContaining('va_mode') },
    ]);
    const after = await db.query(`SELECT count(*)::int AS n FROM patient`);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('refuses an enrolment whose first consent event lacks its details or lies in the future', async () => {
    const before = await db.query(`SELECT count(*)::int AS n FROM patient`);
    const response = await call('POST', '/patients', nurse.accessToken, {
      ...enrolment(),
      consent: { kind: 'emergency_enrolment', occurredAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'consent.independentDoctor', reason: 'is required for emergency_enrolment' },
        { field: 'consent.occurredAt', reason: 'is in the future' },
      ]),
    );
    const after = await db.query(`SELECT count(*)::int AS n FROM patient`);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('refuses a duplicate NHS number at any site without naming the site', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const payload = enrolment();
    const response = await call('POST', '/patients', otherNurse.accessToken, {
      ...payload,
      identity: { ...(payload.identity as object), nhsNumber: patient.nhsNumber },
    });
    expect(response.statusCode).toBe(409);
    expect(response.body).not.toContain(site.code);
    expect(response.body).not.toContain(patient.registryId);

    // Two enrolments of one new number at the same moment, at two sites: the unique index decides, and the
    // loser hears the same 409 (not a 500, not another message).
    const twin = enrolment();
    const answers = await Promise.all([
      call('POST', '/patients', nurse.accessToken, twin),
      call('POST', '/patients', otherNurse.accessToken, twin),
    ]);
    const statuses = answers.map((a) => a.statusCode).sort();
    if (statuses.every((s) => s === 409)) return; // the number was already taken by another test: nothing raced
    expect(statuses).toEqual([201, 409]);
    expect(answers.find((a) => a.statusCode === 409)?.json().detail).toBe(
      'A patient with this NHS number is already enrolled in the registry',
    );
  });

  it('runs the whole record: consent, complications, end of run, discharge, correction, stale update, search, history', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const summary0 = (await call('GET', url, nurse.accessToken)).json();
    const runId = summary0.ecmoRuns[0].id as string;
    const runStart = new Date(summary0.ecmoRuns[0].startedAt as string).getTime();
    const at = (hours: number) => new Date(runStart + hours * 3_600_000).toISOString();

    // Consent: the personal consultee agrees, then the patient consents on regaining capacity.
    const consultee = await call('POST', `${url}/consent-events`, nurse.accessToken, {
      kind: 'consultee_advice',
      occurredAt: at(20),
      consulteeType: 'personal',
      consulteeAgreed: true,
    });
    expect(consultee.statusCode).toBe(201);
    const consent = await call('POST', `${url}/consent-events`, nurse.accessToken, {
      kind: 'patient_consent',
      occurredAt: at(24 * 9),
    });
    expect(consent.statusCode).toBe(201);
    // A consent event out of order is refused.
    const early = await call('POST', `${url}/consent-events`, nurse.accessToken, {
      kind: 'withdrawal',
      withdrawalLevel: 'a',
      occurredAt: at(21),
    });
    expect(early.statusCode).toBe(422);
    // So is one dated in the future (beyond the clock tolerance), and nothing is written.
    const future = await call('POST', `${url}/consent-events`, nurse.accessToken, {
      kind: 'withdrawal',
      withdrawalLevel: 'a',
      occurredAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(future.statusCode).toBe(422);
    expect(future.json().errors).toEqual([{ field: 'occurredAt', reason: 'is in the future' }]);
    const { rows: events } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM consent_event WHERE patient_id = $1`,
      [patient.id],
    );
    expect(events[0].n).toBe(3);

    // Two complications during the run.
    const bleed = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'bleeding_cannulation_site',
      onsetAt: at(6),
      ecmoRunId: runId,
      grade: 2,
      serious: false,
      relation: 'related',
      outcome: 'resolved',
    });
    expect(bleed.statusCode).toBe(201);
    const aki = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'acute_kidney_injury',
      onsetAt: at(30),
      ecmoRunId: runId,
      grade: 3,
      serious: true,
      relation: 'possibly',
      missing: { outcome: 'unknown' },
    });
    expect(aki.statusCode).toBe(201);
    // The answer to a write is the record as stored (it is taken from the change's own read of the record).
    const akiRead = await call('GET', `${url}/complications/${aki.json().id}`, nurse.accessToken);
    expect(akiRead.json()).toEqual(aki.json());
    // A complication with a code outside the taxonomy is refused, naming the field and the set.
    const unknown = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'hiccups',
      onsetAt: at(7),
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([
      { field: 'code', reason: 'is not a code of the value set complication' },
    ]);

    // The run ends (weaned) at 100 h: a correction with If-Match and a reason.
    const ended = await call(
      'PATCH',
      `${url}/ecmo-runs/${runId}`,
      nurse.accessToken,
      { endedAt: at(100), endReason: 'weaned', reason: 'decannulated in theatre' },
      { 'if-match': '"1"' },
    );
    expect(ended.statusCode).toBe(200);
    expect(ended.headers.etag).toBe('"2"');
    expect(ended.json()).toMatchObject({ durationHours: 100, endReason: 'weaned' });
    expect((await call('GET', `${url}/ecmo-runs/${runId}`, nurse.accessToken)).json()).toEqual(ended.json());

    // Discharge home on day 18.
    const discharge = await call('POST', `${url}/outcome`, nurse.accessToken, {
      kind: 'discharge',
      occurredAt: at(24 * 18),
      destination: 'home',
    });
    expect(discharge.statusCode).toBe(201);
    // A complication after the discharge breaks the timeline.
    const late = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: at(24 * 19),
      grade: 2,
    });
    expect(late.statusCode).toBe(422);
    expect(late.json().errors).toEqual([{ field: 'onsetAt', reason: 'is after the hospital discharge' }]);

    // Correcting the run's start to 9 days after the operation breaks PCCS timing: flagged, not refused.
    const summary1 = (await call('GET', url, nurse.accessToken)).json();
    expect(summary1.derived).toMatchObject({
      ecmoDurationHours: 100,
      survivedEcmo: true,
      survivedToDischarge: true,
      successfulWeaning24h: true,
      successfulWeaning48h: true,
      successfulWeaningAtDischarge: true,
    });
    expect(summary1.completeness).toEqual([]);

    // A stale update: the nurse read version 2, a colleague corrected the lactate first.
    const colleague = await call(
      'PATCH',
      `${url}/ecmo-runs/${runId}`,
      nurse.accessToken,
      { preLactate: 8.4, reason: 'blood gas result transcribed wrongly' },
      { 'if-match': '"2"' },
    );
    expect(colleague.statusCode).toBe(200);
    const stale = await call(
      'PATCH',
      `${url}/ecmo-runs/${runId}`,
      nurse.accessToken,
      { preLactate: 9.9, reason: 'my correction' },
      { 'if-match': '"2"' },
    );
    expect(stale.statusCode).toBe(409);
    expect(stale.json().detail).toMatch(/changed since you read it/);
    // Without If-Match: 428; a recorded value changed without a reason: 422 naming the field.
    expect(
      (await call('PATCH', `${url}/ecmo-runs/${runId}`, nurse.accessToken, { prePh: 7.3, reason: 'x y z' }))
        .statusCode,
    ).toBe(428);
    const noReason = await call(
      'PATCH',
      `${url}/ecmo-runs/${runId}`,
      nurse.accessToken,
      { prePh: 7.3 },
      {
        'if-match': '"3"',
      },
    );
    expect(noReason.statusCode).toBe(422);
    expect(new Set(noReason.json<Problem>().errors.map((e) => e.field))).toEqual(new Set(['reason']));

    // A correction that breaks an eligibility rule flags the patient: MDT decision moved after the start.
    const patientEtag = (await call('GET', url, nurse.accessToken)).headers.etag as string;
    const mdt = await call(
      'PATCH',
      url,
      nurse.accessToken,
      {
        mdtDecision: { decidedAt: at(30), decidedBy: 'Cardiac MDT' },
        reason: 'minutes show the MDT met later',
      },
      { 'if-match': patientEtag },
    );
    expect(mdt.statusCode).toBe(200);
    expect(mdt.json().eligibility).toEqual({
      eligible: false,
      failures: [expect.objectContaining({ rule: 'mdt_decision', field: 'mdtDecisionAt' })],
    });

    // Found by exact NHS number (any spacing), only in scope; the search is an identifier read.
    const spaced = `${patient.nhsNumber.slice(0, 3)} ${patient.nhsNumber.slice(3, 6)} ${patient.nhsNumber.slice(6)}`;
    const found = await call('POST', '/patients/search', nurse.accessToken, { nhsNumber: spaced });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual([
      expect.objectContaining({ id: patient.id, registryId: patient.registryId }),
    ]);
    const elsewhere = await call('POST', '/patients/search', otherNurse.accessToken, {
      nhsNumber: patient.nhsNumber,
    });
    expect(elsewhere.json()).toEqual([]);
    const byName = await call('POST', '/patients/search', nurse.accessToken, {
      familyName: 'otest',
      dateOfBirth: '1965-04-12',
    });
    expect(byName.json<Array<{ id: string }>>().map((p) => p.id)).toContain(patient.id);
    const reads = await db.query(
      `SELECT actor, new_values FROM audit_event WHERE action = 'identifier.read' AND entity_id = $1`,
      [patient.id],
    );
    expect(reads.rows.length).toBeGreaterThanOrEqual(2);
    expect(reads.rows[0].actor).toBe(`user:${nurse.id}`);

    // History: who changed what, from which value to which, when and why.
    const history = await call('GET', `${url}/history`, nurse.accessToken);
    expect(history.statusCode).toBe(200);
    const entries =
      history.json<
        Array<{ action: string; record: string; reason: string; actorName: string; changes: unknown[] }>
      >();
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: 'update',
        record: 'ecmo_run',
        reason: 'blood gas result transcribed wrongly',
        actorName: 'Test research_nurse',
        changes: [{ field: 'preLactate', from: 7.2, to: 8.4 }],
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ action: 'patient_key.created', record: 'patient_key' }),
    );
    // Identity rows are in the history without their values.
    const identityInsert = entries.find((e) => e.record === 'patient_identity' && e.action === 'insert');
    expect(JSON.stringify(identityInsert)).not.toContain(patient.nhsNumber);
  });

  it('keeps a declined patient only as a count: identity destroyed, unreadable even in the audit trail', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const identity = await call('GET', `${url}/identity`, nurse.accessToken);
    expect(identity.statusCode).toBe(200);
    expect(identity.json()).toMatchObject({ nhsNumber: patient.nhsNumber, familyName: "O'Test" });
    const declined = await call('POST', `${url}/consent-events`, nurse.accessToken, {
      kind: 'consultee_advice',
      consulteeType: 'nominated',
      consulteeAgreed: false,
      occurredAt: daysAgo(18),
    });
    expect(declined.statusCode).toBe(201);

    expect((await call('GET', `${url}/identity`, nurse.accessToken)).statusCode).toBe(410);
    expect((await call('GET', `${url}/identity`, admin.accessToken)).statusCode).toBe(403);
    const summary = (await call('GET', url, nurse.accessToken)).json();
    expect(summary).toEqual({
      id: patient.id,
      registryId: patient.registryId,
      countingOnly: true,
      countingOnlySince: expect.any(String),
      site: site.code,
      ecmoStartMonth: expect.stringMatching(/^\d{4}-\d{2}$/),
      ageBand: '60-69',
      sex: 'female',
      aliveAtDischarge: null,
    });
    const more = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: daysAgo(17),
    });
    expect(more.statusCode).toBe(409);
    // Nothing left to match or open: no key row, no hash; the trail holds ciphertext and key ids only.
    const key = await db.query(`SELECT 1 FROM patient_key WHERE patient_id = $1`, [patient.id]);
    expect(key.rows).toEqual([]);
    const trail = await db.query<{ row: string }>(
      `SELECT row_to_json(e)::text AS row FROM audit_event e WHERE entity_id = $1`,
      [patient.id],
    );
    const everything = trail.rows.map((r) => r.row).join('\n');
    expect(everything).toContain('patient_key.destroyed');
    for (const secret of [patient.nhsNumber, "O'Test", 'Alex', '1965-04-12', '7700 900123']) {
      expect(everything).not.toContain(secret);
    }
    // The search no longer finds them.
    const found = await call('POST', '/patients/search', nurse.accessToken, { nhsNumber: patient.nhsNumber });
    expect(found.json()).toEqual([]);
  });

  it('enforces withdrawal level (b): no clinical data dated after it (409 saying why)', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    expect(
      (
        await call('POST', `${url}/consent-events`, nurse.accessToken, {
          kind: 'patient_consent',
          occurredAt: daysAgo(15),
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await call('POST', `${url}/consent-events`, nurse.accessToken, {
          kind: 'withdrawal',
          withdrawalLevel: 'b',
          occurredAt: daysAgo(10),
        })
      ).statusCode,
    ).toBe(201);
    const after = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: daysAgo(5),
    });
    expect(after.statusCode).toBe(409);
    expect(after.json().detail).toMatch(/withdrew from data collection .* \(level b\)/);
    const before = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: daysAgo(12),
      grade: 3,
    });
    expect(before.statusCode).toBe(201);
  });

  it('checks a new complication alone against the timeline, and a changed run against every complication', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const run = (await call('GET', url, nurse.accessToken)).json<{
      ecmoRuns: Array<{ id: string; startedAt: string }>;
    }>().ecmoRuns[0];
    const at = (hours: number) => new Date(Date.parse(run.startedAt) + hours * 3_600_000).toISOString();
    const complication = (hours: number) =>
      call('POST', `${url}/complications`, nurse.accessToken, {
        code: 'sepsis',
        onsetAt: at(hours),
        ecmoRunId: run.id,
      });
    const first = await complication(1);
    expect(first.statusCode).toBe(201);
    const ended = await call(
      'PATCH',
      `${url}/ecmo-runs/${run.id}`,
      nurse.accessToken,
      { endedAt: at(10), endReason: 'weaned', reason: 'decannulated' },
      { 'if-match': '"1"' },
    );
    expect(ended.statusCode).toBe(200);
    // The new complication is checked: outside its run.
    const outside = await complication(20);
    expect(outside.statusCode).toBe(422);
    expect(outside.json().errors).toEqual([
      { field: 'onsetAt', reason: 'is outside ECMO run 1, which it is recorded on' },
    ]);
    const second = await complication(5);
    expect(second.statusCode).toBe(201);
    expect((await call('GET', `${url}/complications/${second.json().id}`, nurse.accessToken)).json()).toEqual(
      second.json(),
    );
    // A correction of the run is checked against every complication: ending it at 3 h leaves the second out.
    const shortened = await call(
      'PATCH',
      `${url}/ecmo-runs/${run.id}`,
      nurse.accessToken,
      { endedAt: at(3), reason: 'ended earlier' },
      { 'if-match': '"2"' },
    );
    expect(shortened.statusCode).toBe(422);
    expect(shortened.json().errors).toContainEqual(
      expect.objectContaining({
        field: 'complication.onsetAt',
        reason: expect.stringMatching(/outside ECMO run 1/),
      }),
    );
    // Only the complication written is read: one stored outside its run (here by a direct update, as data
    // loaded before a rule existed might be) does not stop a nurse from recording another, valid one.
    await db.query('BEGIN');
    await db.query(`SELECT set_config('registry.actor', 'test:direct', true)`);
    await db.query(`UPDATE complication SET onset_at = $2 WHERE id = $1`, [first.json().id, at(30)]);
    await db.query('COMMIT');
    const third = await complication(6);
    expect(third.statusCode).toBe(201);
    const summary = (await call('GET', url, nurse.accessToken)).json<{
      complications: Array<{ id: string }>;
    }>();
    // In onset order: 5 h, 6 h, then the one moved to 30 h.
    expect(summary.complications.map((c) => c.id)).toEqual(
      [second, third, first].map((r) => r.json<{ id: string }>().id),
    );
  });

  it('transfers a patient: the new site gains access, the old loses it, the history shows it', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const dm = await createUser(app, admin.accessToken, 'data_manager');
    const moved = await call('POST', `/patients/${patient.id}/transfer`, dm.accessToken, {
      siteId: otherSite.id,
      reason: 'repatriated to local hospital',
    });
    expect(moved.statusCode).toBe(200);
    expect((await call('GET', `/patients/${patient.id}`, nurse.accessToken)).statusCode).toBe(404);
    expect((await call('GET', `/patients/${patient.id}`, otherNurse.accessToken)).statusCode).toBe(200);
    const history = (await call('GET', `/patients/${patient.id}/history`, otherNurse.accessToken)).json<
      Array<{ action: string; reason: string; details: unknown }>
    >();
    expect(history).toContainEqual(
      expect.objectContaining({
        action: 'patient.transferred',
        reason: 'repatriated to local hospital',
        details: { fromSiteId: site.id, toSiteId: otherSite.id },
      }),
    );
  });

  it('voids a record entered in error: it leaves the current state but stays visible with its reason', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const created = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'seizure',
      onsetAt: daysAgo(19),
      grade: 2,
    });
    const { id } = created.json<{ id: string }>();
    const voided = await call(
      'POST',
      `${url}/complications/${id}/void`,
      nurse.accessToken,
      { reason: 'entered on the wrong patient' },
      { 'if-match': created.headers.etag as string },
    );
    expect(voided.statusCode).toBe(200);
    const summary = (await call('GET', url, nurse.accessToken)).json();
    expect(summary.complications).toEqual([
      expect.objectContaining({
        id,
        voided: { at: expect.any(String), reason: 'entered on the wrong patient' },
      }),
    ]);
    const rows = await db.query(`SELECT voided_at IS NOT NULL AS voided FROM complication WHERE id = $1`, [
      id,
    ]);
    expect(rows.rows).toEqual([{ voided: true }]);
  });

  it('re-derives eligibility when the ECMO run is corrected, and keeps it through records that cannot change it', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const runId = (await call('GET', url, nurse.accessToken)).json().ecmoRuns[0].id as string;
    const correctRun = (mode: string, version: number) =>
      call(
        'PATCH',
        `${url}/ecmo-runs/${runId}`,
        nurse.accessToken,
        { mode, reason: 'perfusion record read again' },
        { 'if-match': `"${version}"` },
      );
    const eligibility = async (): Promise<unknown> =>
      (await call('GET', url, nurse.accessToken)).json<{ eligibility: unknown }>().eligibility;

    expect((await correctRun('VV', 1)).statusCode).toBe(200);
    const flagged = await eligibility();
    expect(flagged).toEqual({
      eligible: false,
      failures: [expect.objectContaining({ rule: 'va_mode', field: 'ecmoMode' })],
    });
    // A complication settles without re-deriving eligibility: the flag stays as it was.
    const complication = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'seizure',
      onsetAt: daysAgo(19),
      ecmoRunId: runId,
      grade: 2,
    });
    expect(complication.statusCode).toBe(201);
    expect(await eligibility()).toEqual(flagged);
    // Corrected back: eligible again.
    expect((await correctRun('VA', 2)).statusCode).toBe(200);
    expect(await eligibility()).toEqual({ eligible: true, failures: [] });
  });

  it('records the end of a run without a reason (new data); changing it is a correction that says why', async () => {
    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const run = (await call('GET', url, nurse.accessToken)).json().ecmoRuns[0] as {
      id: string;
      startedAt: string;
    };
    const runUrl = `${url}/ecmo-runs/${run.id}`;
    const endedAt = new Date(Date.parse(run.startedAt) + 50 * 3_600_000).toISOString();
    const ended = await call(
      'PATCH',
      runUrl,
      nurse.accessToken,
      { endedAt, endReason: 'weaned' },
      { 'if-match': '"1"' },
    );
    expect(ended.statusCode).toBe(200);
    // A recorded value changed without a reason: refused, nothing written.
    const moved = new Date(Date.parse(endedAt) + 3_600_000).toISOString();
    const silent = await call('PATCH', runUrl, nurse.accessToken, { endedAt: moved }, { 'if-match': '"2"' });
    expect(silent.statusCode).toBe(422);
    expect(silent.json().errors).toEqual([
      { field: 'reason', reason: expect.stringContaining('is required to change a value already recorded') },
    ]);
    const corrected = await call(
      'PATCH',
      runUrl,
      nurse.accessToken,
      { endedAt: moved, reason: 'decannulation time read from the perfusion chart' },
      { 'if-match': '"2"' },
    );
    expect(corrected.statusCode).toBe(200);
    const history = (await call('GET', `${url}/history`, nurse.accessToken)).json<
      Array<{ record: string; recordId: string; action: string; change: string; reason: string | null }>
    >();
    expect(history.filter((e) => e.recordId === run.id).map((e) => [e.action, e.change, e.reason])).toEqual([
      ['insert', 'recorded', null],
      ['update', 'recorded', null],
      ['update', 'corrected', 'decannulation time read from the perfusion chart'],
    ]);
  });

  it('refuses an instant on a day that does not exist, with its field, and stores nothing', async () => {
    // JavaScript's Date reads 2026-11-31 as 1 December: the registry must refuse it, never store the shift.
    const impossible = '2026-11-31T10:00:00Z';
    const reason = 'names a day that does not exist (2026-11-31)';
    const before = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM patient`)).rows[0].n;
    const base = enrolment();
    const enrol400 = await call('POST', '/patients', nurse.accessToken, {
      ...base,
      mdtDecision: { ...(base.mdtDecision as object), decidedAt: impossible },
      ecmoRun: { ...(base.ecmoRun as object), startedAt: impossible },
      consent: { ...(base.consent as object), occurredAt: impossible },
    });
    expect(enrol400.statusCode).toBe(400);
    expect(enrol400.json<Problem>().errors).toEqual(
      expect.arrayContaining([
        { field: 'mdtDecision.decidedAt', reason },
        { field: 'ecmoRun.startedAt', reason },
        { field: 'consent.occurredAt', reason },
      ]),
    );
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM patient`)).rows[0].n).toBe(before);

    const patient = await enrol(app, nurse.accessToken);
    const records = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM complication WHERE patient_id = $1)
                + (SELECT count(*) FROM ecmo_run WHERE patient_id = $1)
                + (SELECT count(*) FROM hospital_outcome WHERE patient_id = $1)
                + (SELECT count(*) FROM consent_event WHERE patient_id = $1) AS n`,
          [patient.id],
        )
      ).rows[0].n;
    const held = await records();
    const refused: Array<[string, Record<string, unknown>, string]> = [
      ['complications', { code: 'sepsis', onsetAt: impossible }, 'onsetAt'],
      ['ecmo-runs', { ...(enrolment().ecmoRun as object), startedAt: impossible }, 'startedAt'],
      ['outcome', { kind: 'discharge', occurredAt: impossible, destination: 'home' }, 'occurredAt'],
      ['consent-events', { kind: 'consented', occurredAt: impossible }, 'occurredAt'],
    ];
    for (const [route, body, field] of refused) {
      const answer = await call('POST', `/patients/${patient.id}/${route}`, nurse.accessToken, body);
      expect({ route, status: answer.statusCode }).toEqual({ route, status: 400 });
      expect(answer.json<Problem>().errors).toEqual(expect.arrayContaining([{ field, reason }]));
    }
    expect(await records()).toBe(held);
  });

  it('refuses text of white space only with its field, as empty text is, and changes nothing', async () => {
    const blank = '   ';
    const reason = 'must not be blank (white space only)';
    const base = enrolment();
    const enrol400 = await call('POST', '/patients', nurse.accessToken, {
      ...base,
      mdtDecision: { ...(base.mdtDecision as object), decidedBy: blank },
      consent: { ...(base.consent as object), independentDoctor: '\t\n' },
    });
    expect(enrol400.statusCode).toBe(400);
    expect(enrol400.json<Problem>().errors).toEqual([
      { field: 'mdtDecision.decidedBy', reason },
      { field: 'consent.independentDoctor', reason },
    ]);

    const patient = await enrol(app, nurse.accessToken);
    const url = `/patients/${patient.id}`;
    const described = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'seizure',
      onsetAt: daysAgo(19),
      description: blank,
    });
    expect(described.statusCode).toBe(400);
    expect(described.json<Problem>().errors).toEqual([{ field: 'description', reason }]);
    const created = await call('POST', `${url}/complications`, nurse.accessToken, {
      code: 'seizure',
      onsetAt: daysAgo(19),
      grade: 2,
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const etag = created.headers.etag as string;
    const corrected = await call(
      'PATCH',
      `${url}/complications/${id}`,
      nurse.accessToken,
      { grade: 3, reason: blank },
      { 'if-match': etag },
    );
    expect(corrected.statusCode).toBe(400);
    expect(corrected.json<Problem>().errors).toEqual([{ field: 'reason', reason }]);
    const voided = await call(
      'POST',
      `${url}/complications/${id}/void`,
      nurse.accessToken,
      { reason: blank },
      { 'if-match': etag },
    );
    expect(voided.statusCode).toBe(400);
    expect(voided.json<Problem>().errors).toEqual([{ field: 'reason', reason }]);
    const rows = await db.query<{ grade: number; voided_at: Date | null; version: number }>(
      `SELECT grade, voided_at, version FROM complication WHERE patient_id = $1`,
      [patient.id],
    );
    expect(rows.rows).toEqual([{ grade: 2, voided_at: null, version: 1 }]);
  });

  it('answers bad input with 400 and the field, never 500', async () => {
    const bad = await call('POST', '/patients', nurse.accessToken, {
      ...enrolment(),
      identity: {
        nhsNumber: '9990000019',
        familyName: '',
        dateOfBirth: '1965-02-30',
        reminderChannel: 'sms',
      },
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json<Problem>().errors.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'identity.nhsNumber',
        'identity.familyName',
        'identity.givenName',
        'identity.dateOfBirth',
      ]),
    );
    const lactate = await call('POST', '/patients', nurse.accessToken, {
      ...enrolment(),
      ecmoRun: { ...(enrolment().ecmoRun as object), preLactate: 45 },
    });
    expect(lactate.statusCode).toBe(400);
    expect(lactate.json().errors).toEqual([
      { field: 'ecmoRun.preLactate', reason: expect.stringContaining('30') },
    ]);
    // A complication on a run that is not this patient's (here: no run at all) is a 422, not a 500.
    const patient = await enrol(app, nurse.accessToken);
    const summary = (await call('GET', `/patients/${patient.id}`, nurse.accessToken)).json<{
      ecmoRuns: Array<{ startedAt: string }>;
    }>();
    const orphan = await call('POST', `/patients/${patient.id}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: new Date(Date.parse(summary.ecmoRuns[0].startedAt) + 3_600_000).toISOString(),
      ecmoRunId: '00000000-0000-4000-8000-000000000000',
    });
    expect(orphan.statusCode).toBe(422);
    expect(orphan.json().errors).toEqual([
      { field: 'ecmoRunId', reason: 'is not an ECMO run of this patient' },
    ]);
    // Another patient's run, on a new complication or by correcting one: the database refuses it (a foreign
    // key on the run's id and patient), the api answers 422 and nothing is written.
    const other = await enrol(app, nurse.accessToken);
    const otherSummary = (await call('GET', `/patients/${other.id}`, nurse.accessToken)).json<{
      ecmoRuns: Array<{ id: string }>;
    }>();
    const countOf = async () =>
      (
        await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM complication WHERE patient_id = $1`, [
          patient.id,
        ])
      ).rows[0].n;
    const onset = new Date(Date.parse(summary.ecmoRuns[0].startedAt) + 3_600_000).toISOString();
    const theirs = await call('POST', `/patients/${patient.id}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: onset,
      ecmoRunId: otherSummary.ecmoRuns[0].id,
    });
    expect(theirs.statusCode).toBe(422);
    expect(theirs.json().errors).toEqual([
      { field: 'ecmoRunId', reason: 'is not an ECMO run of this patient' },
    ]);
    expect(await countOf()).toBe(0);
    const own = await call('POST', `/patients/${patient.id}/complications`, nurse.accessToken, {
      code: 'sepsis',
      onsetAt: onset,
    });
    expect(own.statusCode).toBe(201);
    const moved = await call(
      'PATCH',
      `/patients/${patient.id}/complications/${own.json().id}`,
      nurse.accessToken,
      { ecmoRunId: otherSummary.ecmoRuns[0].id, reason: 'wrong run' },
      { 'if-match': '"1"' },
    );
    expect(moved.statusCode).toBe(422);
    expect(moved.json().errors).toEqual([
      { field: 'ecmoRunId', reason: 'is not an ECMO run of this patient' },
    ]);
    const { rows: kept } = await db.query<{ ecmo_run_id: string | null; version: number }>(
      `SELECT ecmo_run_id, version FROM complication WHERE id = $1`,
      [own.json().id],
    );
    expect(kept).toEqual([{ ecmo_run_id: null, version: 1 }]);
    // The rule is the database's own, whoever writes.
    await db.query('BEGIN');
    try {
      await db.query(`SELECT set_config('registry.actor', 'test:registry', true)`);
      await expect(
        db.query(
          `INSERT INTO complication (patient_id, ecmo_run_id, code, onset_at, missing, version)
           VALUES ($1, $2, 'sepsis', $3, '{}', 1)`,
          [patient.id, otherSummary.ecmoRuns[0].id, onset],
        ),
      ).rejects.toMatchObject({ code: '23503', constraint: 'complication_run_of_patient' });
    } finally {
      await db.query('ROLLBACK');
    }
  });
});
