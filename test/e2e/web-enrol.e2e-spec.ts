import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import {
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  PASSWORD,
  uniqueEmail,
} from '../support/access.js';
import { connect, startApi } from '../support/apps.js';
import { dateDaysAgo, testNhsNumber } from '../support/patients.js';
import { errorSummaryOf, headingOf, startWeb, WebClient } from '../support/web.js';

/** A day `days` ago as the NHS date input posts it. */
function dateFields(name: string, days: number, time?: string): Record<string, string> {
  const [year, month, day] = dateDaysAgo(days).split('-');
  return {
    [`${name}[day]`]: String(Number(day)),
    [`${name}[month]`]: String(Number(month)),
    [`${name}[year]`]: year,
    ...(time ? { [`${name}-time`]: time } : {}),
  };
}

/**
 * Issue 26, slice 3 (enrolment) at the HTTP level: the task list, each section checked with the api's own
 * rules and kept as typed, the draft sealed and kept across sign-ins, the eligibility verdict before submit,
 * and the submission going through the registry's enrolment.
 */
describe('web application: enrolment as a task list', () => {
  let api: NestFastifyApplication;
  let web: NestFastifyApplication;
  let db: pg.Client;
  let site: { id: string; name: string };
  let adminToken: string;
  /** A new nurse of the site, signed in to the web app (a TOTP code works once: one sign-in each). */
  let signedInNurse: () => Promise<{ browser: WebClient; nurse: Awaited<ReturnType<typeof createUser>> }>;

  beforeAll(async () => {
    api = await startApi();
    web = await startWeb();
    db = await connect('owner');
    const email = uniqueEmail('admin');
    adminToken = (await onboard(api, email, await createAdminWithCli(email))).accessToken;
    site = await createSite(api, adminToken, 'Harefield');
    signedInNurse = async () => {
      const nurse = await createUser(api, adminToken, 'research_nurse', [site.id]);
      const browser = new WebClient(web);
      await browser.signIn(nurse.email, nurse.totpSecret, 1);
      return { browser, nurse };
    };
  });

  afterAll(async () => {
    await db?.end();
    await web?.close();
    await api?.close();
  });

  async function newDraft(browser: WebClient): Promise<string> {
    const started = await browser.submit('/enrol', {});
    expect(started.status).toBe(303);
    return started.location!.split('/').pop()!;
  }

  /** Answers a section and confirms its check page; answers the check page. */
  async function answer(browser: WebClient, draft: string, section: string, form: Record<string, string>) {
    const saved = await browser.submit(`/enrol/${draft}/${section}`, form);
    expect({ section, status: saved.status, errors: errorSummaryOf(saved.body) }).toEqual({
      section,
      status: 303,
      errors: [],
    });
    const check = await browser.get(saved.location!);
    const confirmed = await browser.post(`/enrol/${draft}/${section}/check`, {});
    expect(confirmed.location).toBe(`/enrol/${draft}`);
    return check;
  }

  const identity = (nhsNumber: string, yearOfBirth: string) => ({
    nhsNumber,
    givenName: 'Marta',
    familyName: 'Ferreira',
    'dateOfBirth[day]': '12',
    'dateOfBirth[month]': '4',
    'dateOfBirth[year]': yearOfBirth,
    sex: 'female',
    reminderChannel: 'none',
  });

  it('enrols a patient: one refusal for eligibility with its reason, then the corrected answer, through the task list', async () => {
    const { browser } = await signedInNurse();
    const draft = await newDraft(browser);
    const tasks = await browser.get(`/enrol/${draft}`);
    expect(headingOf(tasks.body)).toBe('Enrol a patient');
    expect(tasks.body.match(/Not started/g)).toHaveLength(5);

    const nhsNumber = testNhsNumber();
    const check = await answer(browser, draft, 'identity', identity(nhsNumber, '2012'));
    expect(check.body).toContain('12 April 2012');
    await answer(browser, draft, 'operation', { ...dateFields('operationDate', 3), category: 'cabg' });
    await answer(browser, draft, 'ecmoRun', {
      ...dateFields('startedAt', 3, '16:20'),
      mode: 'VA',
      startLocation: 'theatre',
      startedFor: 'failure_to_wean',
    });
    await answer(browser, draft, 'mdtDecision', {
      ...dateFields('decidedAt', 3, '13:00'),
      decidedBy: 'Cardiac MDT',
    });
    await answer(browser, draft, 'consent', {
      kind: 'emergency_enrolment',
      ...dateFields('occurredAt', 3, '17:00'),
      independentDoctor: 'Dr Independent',
    });

    // Born in 2012: the verdict is shown before anything is submitted, in words, linked to the answer.
    const refused = await browser.get(`/enrol/${draft}/check`);
    expect(refused.body).toContain('Not eligible for the registry');
    expect(refused.body).toMatch(/<a href="\/enrol\/[^"]+\/identity#dateOfBirth-day">Aged 1\d at ECMO start/);
    expect(refused.body).not.toContain('Submit the enrolment');
    const forced = await browser.post(`/enrol/${draft}/submit`, {});
    expect(forced.status).toBe(422);
    const { rows: none } = await db.query(`SELECT 1 FROM patient WHERE site_id = $1`, [site.id]);
    expect(none).toHaveLength(0);

    await answer(browser, draft, 'identity', identity(nhsNumber, '1961'));
    const eligible = await browser.get(`/enrol/${draft}/check`);
    expect(eligible.body).toContain('Eligible: the patient meets every rule of the registry');
    const submitted = await browser.post(`/enrol/${draft}/submit`, {});
    expect(submitted.status).toBe(303);
    const patientPage = await browser.get(submitted.location!);
    expect(headingOf(patientPage.body)).toMatch(/^Patient [A-Z0-9]+-0001$/);
    expect(patientPage.body).toContain('FERREIRA, Marta');

    // The draft ended as that patient: its key and answers are gone, and it cannot be submitted twice.
    const { rows } = await db.query<{ ended_reason: string; sealed: string | null; patient_id: string }>(
      `SELECT ended_reason, sealed, patient_id FROM enrolment_draft WHERE id = $1`,
      [draft],
    );
    expect(rows[0]).toEqual({
      ended_reason: 'submitted',
      sealed: null,
      patient_id: submitted.location!.split('/').pop(),
    });
    expect((await browser.post(`/enrol/${draft}/submit`, {})).status).toBe(404);
  });

  it('keeps what was typed when a section is refused, and names each field as the api’s rules do', async () => {
    const { browser } = await signedInNurse();
    const draft = await newDraft(browser);
    const refused = await browser.submit(`/enrol/${draft}/identity`, {
      ...identity('999 000 0019', '1961'),
      givenName: '',
      'dateOfBirth[day]': '31',
      'dateOfBirth[month]': '2',
    });
    expect(refused.status).toBe(400);
    const errors = errorSummaryOf(refused.body);
    // In the order of the page, as the NHS error summary lists them.
    expect(errors).toEqual([
      expect.stringMatching(/^NHS number /),
      'Enter given name',
      'Date of birth must be a real date',
    ]);
    expect(refused.body).toContain('value="999 000 0019"');
    expect(refused.body).toContain('value="31"');
    // Kept in the draft too: the section page shows it again later.
    expect((await browser.get(`/enrol/${draft}/identity`)).body).toContain('value="999 000 0019"');
    const spring = await browser.submit(`/enrol/${draft}/ecmoRun`, {
      'startedAt[day]': '29',
      'startedAt[month]': '3',
      'startedAt[year]': '2026',
      'startedAt-time': '01:30',
      mode: 'VA',
      startLocation: 'theatre',
      startedFor: 'failure_to_wean',
    });
    expect(errorSummaryOf(spring.body)).toEqual([
      expect.stringMatching(/^ECMO started: 01:30 does not exist on 2026-03-29: clocks go forward/),
    ]);
  });

  it('keeps a draft across sign-ins for its nurse only, sealed, and ends it when discarded', async () => {
    const { browser, nurse } = await signedInNurse();
    const draft = await newDraft(browser);
    const nhsNumber = testNhsNumber();
    await browser.submit(`/enrol/${draft}/identity`, identity(nhsNumber, '1961'));
    const { rows } = await db.query<{ sealed: string }>(`SELECT sealed FROM enrolment_draft WHERE id = $1`, [
      draft,
    ]);
    expect(rows[0].sealed).not.toContain('Ferreira');
    expect(rows[0].sealed).not.toContain(nhsNumber);
    const audit = await db.query<{ new_values: Record<string, unknown> }>(
      `SELECT new_values FROM audit_event WHERE entity_type = 'enrolment_draft' AND entity_id = $1`,
      [draft],
    );
    expect(JSON.stringify(audit.rows)).not.toContain('Ferreira');

    await browser.post('/sign-out', {});
    // Signed in again (with a recovery code: this time step's TOTP code has been used).
    const again = new WebClient(web);
    await again.submit('/sign-in', { email: nurse.email, password: PASSWORD });
    expect((await again.submit('/sign-in/code', { code: nurse.recoveryCodes[0] })).location).toBe('/');
    const list = await again.get('/enrol');
    expect(list.body).toContain(`/enrol/${draft}`);
    expect((await again.get(`/enrol/${draft}/identity`)).body).toContain('value="Ferreira"');

    const discarded = await again.post(`/enrol/${draft}/discard`, {});
    expect(discarded.location).toBe('/enrol');
    expect((await again.get(`/enrol/${draft}`)).status).toBe(404);
    const ended = await db.query<{ ended_reason: string; sealed: string | null; wrapped_key: string | null }>(
      `SELECT ended_reason, sealed, wrapped_key FROM enrolment_draft WHERE id = $1`,
      [draft],
    );
    expect(ended.rows[0]).toEqual({ ended_reason: 'discarded', sealed: null, wrapped_key: null });
  });

  it('shows no other nurse the draft, and expires it after DRAFT_TTL', async () => {
    const { browser } = await signedInNurse();
    const draft = await newDraft(browser);
    const { browser: otherBrowser } = await signedInNurse();
    expect((await otherBrowser.get(`/enrol/${draft}`)).status).toBe(404);
    expect((await otherBrowser.get('/enrol')).body).not.toContain(draft);

    // Seven days on (as an audited change, like every change to the table).
    await db.query('BEGIN');
    await db.query(`SELECT set_config('registry.actor', 'test:clock', true)`);
    await db.query(`UPDATE enrolment_draft SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      draft,
    ]);
    await db.query('COMMIT');
    expect((await browser.get(`/enrol/${draft}`)).status).toBe(404);
    const { rows } = await db.query<{ ended_reason: string; sealed: string | null }>(
      `SELECT ended_reason, sealed FROM enrolment_draft WHERE id = $1`,
      [draft],
    );
    expect(rows[0]).toEqual({ ended_reason: 'expired', sealed: null });
  });
});
