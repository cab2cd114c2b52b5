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
import { enrol, testNhsNumber, type Enrolled } from '../support/patients.js';
import { errorSummaryOf, headingOf, startWeb, WebClient } from '../support/web.js';

/**
 * Issue 26, slice 2 at the HTTP level: finding a patient (posted, logged as the api logs an identifier read),
 * the patient page in the order of care, the history, the site's patient list, and another site's patient
 * answering "page not found".
 */
describe('web application: finding a patient, the patient page and its history', () => {
  let api: NestFastifyApplication;
  let web: NestFastifyApplication;
  let db: pg.Client;
  let admin: SignedIn;
  let site: { id: string; name: string };
  let otherSite: { id: string; name: string };
  let nurse: SignedIn & { id: string };
  let patient: Enrolled;
  let browser: WebClient;

  beforeAll(async () => {
    api = await startApi();
    web = await startWeb();
    db = await connect('owner');
    const email = uniqueEmail('admin');
    admin = await onboard(api, email, await createAdminWithCli(email));
    site = await createSite(api, admin.accessToken, 'Harefield');
    otherSite = await createSite(api, admin.accessToken, 'Papworth');
    nurse = await createUser(api, admin.accessToken, 'research_nurse', [site.id]);
    patient = await enrol(api, nurse.accessToken, {
      siteId: site.id,
      identity: {
        nhsNumber: testNhsNumber(),
        familyName: 'Ferreira',
        givenName: 'Marta',
        dateOfBirth: '1961-04-12',
        reminderChannel: 'none',
      },
    });
    browser = new WebClient(web);
    await browser.signIn(nurse.email, nurse.totpSecret, 1);
  });

  afterAll(async () => {
    await db?.end();
    await web?.close();
    await api?.close();
  });

  const identifierReads = async (since: Date) =>
    (
      await db.query<{ entity_id: string; details: { fields: string[]; purpose: string } }>(
        `SELECT entity_id, new_values AS details FROM audit_event
          WHERE action = 'identifier.read' AND actor = $1 AND occurred_at >= $2 ORDER BY id`,
        [`user:${nurse.id}`, since],
      )
    ).rows;

  it('finds a patient by NHS number typed with spaces, logs the search, and puts nothing searched in a web address', async () => {
    const since = new Date();
    const spaced = `${patient.nhsNumber.slice(0, 3)} ${patient.nhsNumber.slice(3, 6)} ${patient.nhsNumber.slice(6)}`;
    const found = await browser.submit('/patients/find', { nhsNumber: spaced });
    expect(found.status).toBe(200);
    expect(found.body).toContain(`<a href="/patients/${patient.id}">${patient.registryId}</a>`);
    expect(found.body).toContain('1 patient found');
    const reads = await identifierReads(since);
    expect(reads).toEqual([{ entity_id: patient.id, details: { fields: ['nhsNumber'], purpose: 'search' } }]);
    // Only the page's own links carry ids; the NHS number is in no href.
    expect([...found.body.matchAll(/href="([^"]*)"/g)].map((m) => m[1]).join(' ')).not.toContain(
      patient.nhsNumber,
    );
  });

  it('finds by family name and date of birth (the NHS date input), and by registry ID', async () => {
    const byName = await browser.submit('/patients/find', {
      familyName: 'ferreira',
      'dateOfBirth[day]': '12',
      'dateOfBirth[month]': '4',
      'dateOfBirth[year]': '1961',
    });
    expect(byName.body).toContain(`>${patient.registryId}</a>`);
    const byId = await browser.submit('/patients/find', { registryId: patient.registryId.toLowerCase() });
    expect(byId.body).toContain(`>${patient.registryId}</a>`);
  });

  it('says what is wrong with a search, keeps what was typed, and searches nothing', async () => {
    const since = new Date();
    const nothing = await browser.submit('/patients/find', {});
    expect(nothing.status).toBe(400);
    expect(errorSummaryOf(nothing.body)).toEqual([
      'Enter a registry ID, an NHS number, or a family name and date of birth',
    ]);
    const badNumber = await browser.submit('/patients/find', { nhsNumber: '999 000 0019' });
    expect(badNumber.status).toBe(400);
    expect(errorSummaryOf(badNumber.body)[0]).toMatch(/^NHS number /);
    expect(badNumber.body).toContain('value="999 000 0019"');
    const noDate = await browser.submit('/patients/find', { familyName: 'Ferreira' });
    expect(errorSummaryOf(noDate.body)).toEqual(['Enter a date of birth']);
    const badDate = await browser.submit('/patients/find', {
      familyName: 'Ferreira',
      'dateOfBirth[day]': '31',
      'dateOfBirth[month]': '2',
      'dateOfBirth[year]': '1961',
    });
    expect(errorSummaryOf(badDate.body)).toHaveLength(1);
    expect(errorSummaryOf(badDate.body)[0]).toMatch(/^Date of birth /);
    expect(badDate.body).toContain('value="31"');
    expect(await identifierReads(since)).toEqual([]);
  });

  it('shows the patient page in the order of care, with the identity (NHS number 3 3 4), each view logged', async () => {
    const since = new Date();
    const page = await browser.get(`/patients/${patient.id}`);
    expect(page.status).toBe(200);
    expect(headingOf(page.body)).toBe(`Patient ${patient.registryId}`);
    const nhs = patient.nhsNumber;
    expect(page.body).toContain(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
    expect(page.body).toContain('FERREIRA, Marta');
    expect(page.body).toContain('12 April 1961');
    const order = [
      'id="consent"',
      'id="operation"',
      'id="ecmo-runs"',
      'id="complications"',
      'id="outcome"',
      'id="follow-up"',
    ].map((anchor) => page.body.indexOf(anchor));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    expect(page.body).toContain('Coronary artery bypass grafting');
    expect(await identifierReads(since)).toEqual([
      {
        entity_id: patient.id,
        details: { fields: ['nhsNumber', 'familyName', 'givenName', 'dateOfBirth'], purpose: 'patient page' },
      },
    ]);
  });

  it('answers another site’s patient, and one that does not exist, with the page-not-found page', async () => {
    const otherNurse = await createUser(api, admin.accessToken, 'research_nurse', [otherSite.id]);
    const other = new WebClient(web);
    await other.signIn(otherNurse.email, otherNurse.totpSecret, 1);
    for (const url of [`/patients/${patient.id}`, `/patients/${patient.id}/history`]) {
      const answer = await other.get(url);
      expect({ url, status: answer.status, heading: headingOf(answer.body) }).toEqual({
        url,
        status: 404,
        heading: 'Page not found',
      });
      expect(answer.body).not.toContain(patient.registryId);
    }
    expect((await other.get('/patients/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await other.get('/patients/not-an-id')).status).toBe(404);
    // Nor does a search at the other site find the patient.
    const search = await other.submit('/patients/find', { nhsNumber: patient.nhsNumber });
    expect(search.body).toContain('0 patients found');
  });

  it('shows a data manager the patient without the identity, and logs no identifier read', async () => {
    const manager = await createUser(api, admin.accessToken, 'data_manager');
    const client = new WebClient(web);
    await client.signIn(manager.email, manager.totpSecret, 1);
    const page = await client.get(`/patients/${patient.id}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Ferreira');
    expect(page.body).not.toContain(patient.nhsNumber.slice(6));
    expect((await client.get('/patients/find')).status).toBe(403);
    const list = await client.get(`/patients?site=${site.id}`);
    expect(list.body).toContain(`>${patient.registryId}</a>`);
  });

  it('shows who changed what, when and why in the history', async () => {
    const summary = await api.inject({
      method: 'GET',
      url: `/patients/${patient.id}`,
      headers: bearer(nurse.accessToken),
    });
    const corrected = await api.inject({
      method: 'PATCH',
      url: `/patients/${patient.id}`,
      headers: { ...bearer(nurse.accessToken), 'if-match': summary.headers.etag as string },
      payload: { sex: 'male', reason: 'typed the wrong sex at enrolment' },
    });
    expect(corrected.statusCode).toBe(200);
    const history = await browser.get(`/patients/${patient.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body).toContain('typed the wrong sex at enrolment');
    expect(history.body).toContain('Test research_nurse');
    expect(history.body).toMatch(/Sex: &quot;female&quot; to &quot;male&quot;/);
  });

  it('lists the site’s patients, each linking to their page, and not another site’s', async () => {
    const list = await browser.get('/patients');
    expect(list.status).toBe(200);
    expect(headingOf(list.body)).toBe('Patients: Harefield');
    expect(list.body).toContain(`<a href="/patients/${patient.id}">${patient.registryId}</a>`);
    // Another site's list is not the nurse's to see.
    expect((await browser.get(`/patients?site=${otherSite.id}`)).status).toBe(404);
  });
});
