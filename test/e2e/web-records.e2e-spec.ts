import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { localWallClock } from '../../libs/time/src/index.js';
import { createAdminWithCli, createSite, createUser, onboard, uniqueEmail } from '../support/access.js';
import { startApi } from '../support/apps.js';
import { daysAgo, enrol, type Enrolled } from '../support/patients.js';
import { errorSummaryOf, headingOf, startWeb, WebClient } from '../support/web.js';

/** An instant as the form's NHS date input and time box post it (UK time). */
function when(name: string, iso: string): Record<string, string> {
  const { date, time } = localWallClock(new Date(iso));
  const [year, month, day] = date.split('-');
  return {
    [`${name}[day]`]: String(Number(day)),
    [`${name}[month]`]: String(Number(month)),
    [`${name}[year]`]: year,
    [`${name}-time`]: time,
  };
}

/**
 * Issue 26, slice 3 (records) at the HTTP level: complications, the hospital outcome and the end of an ECMO
 * run recorded, corrected with a reason and voided in pages, through ClinicalRecordsService; a stale edit
 * never overwrites (the page shows the record as it is now and keeps what was typed).
 */
describe('web application: recording, correcting and voiding clinical records', () => {
  let api: NestFastifyApplication;
  let web: NestFastifyApplication;
  let adminToken: string;
  let site: { id: string; name: string };
  let patient: Enrolled;

  const nurseBrowser = async (siteId = site.id) => {
    const nurse = await createUser(api, adminToken, 'research_nurse', [siteId]);
    const browser = new WebClient(web);
    await browser.signIn(nurse.email, nurse.totpSecret, 1);
    return { nurse, browser };
  };

  beforeAll(async () => {
    api = await startApi();
    web = await startWeb();
    const email = uniqueEmail('admin');
    adminToken = (await onboard(api, email, await createAdminWithCli(email))).accessToken;
    site = await createSite(api, adminToken, 'Harefield');
    const enroller = await createUser(api, adminToken, 'research_nurse', [site.id]);
    patient = await enrol(api, enroller.accessToken, { siteId: site.id });
  });

  afterAll(async () => {
    await web?.close();
    await api?.close();
  });

  const complicationIds = (html: string) =>
    [...html.matchAll(/\/complications\/([0-9a-f-]{36})\/edit/g)].map((m) => m[1]);

  it('records the end of the run, two complications and the outcome; refuses with the field named and keeps what was typed', async () => {
    const { browser } = await nurseBrowser();
    const page = await browser.get(`/patients/${patient.id}`);
    const runId = /\/ecmo-runs\/([0-9a-f-]{36})\/edit/.exec(page.body)![1];
    const ended = await browser.submit(`/patients/${patient.id}/ecmo-runs/${runId}/edit`, {
      ...when('endedAt', daysAgo(15)),
      endReason: 'weaned',
      version: /name="version" value="(\d+)"/.exec(
        (await browser.get(`/patients/${patient.id}/ecmo-runs/${runId}/edit`)).body,
      )![1],
    });
    expect({ status: ended.status, errors: errorSummaryOf(ended.body) }).toEqual({ status: 303, errors: [] });

    const form = await browser.get(`/patients/${patient.id}/complications/new`);
    // The taxonomy grouped as the value set groups it.
    expect(form.body).toMatch(/<optgroup label="[^"]+">/);
    const missing = await browser.post(`/patients/${patient.id}/complications/new`, {
      code: 'bleeding_cannulation_site',
      grade: '2',
    });
    expect(missing.status).toBe(400);
    expect(errorSummaryOf(missing.body)).toEqual(['Enter when: onset']);
    expect(missing.body).toMatch(/<option value="bleeding_cannulation_site" selected>/);
    expect(missing.body).toContain('value="2"');
    for (const [code, days] of [
      ['bleeding_cannulation_site', 18],
      ['renal_replacement_therapy', 17],
    ] as const) {
      const added = await browser.submit(`/patients/${patient.id}/complications/new`, {
        code,
        ...when('onsetAt', daysAgo(days)),
        grade: '2',
        serious: 'no',
      });
      expect({ code, status: added.status, errors: errorSummaryOf(added.body) }).toEqual({
        code,
        status: 303,
        errors: [],
      });
    }
    const outcome = await browser.submit(`/patients/${patient.id}/outcome/new`, {
      kind: 'discharge',
      ...when('occurredAt', daysAgo(5)),
      destination: 'home',
    });
    expect({ status: outcome.status, errors: errorSummaryOf(outcome.body) }).toEqual({
      status: 303,
      errors: [],
    });
    const after = await browser.get(`/patients/${patient.id}`);
    expect(complicationIds(after.body)).toHaveLength(2);
    expect(after.body).toContain('Discharged alive');
    // The run has its end now: the page offers to change it rather than to record it.
    expect(after.body).toContain('Change the end of run 1');
  });

  it('corrects a value with a reason, found in the history; a stale edit shows what changed and keeps what was typed', async () => {
    const first = await nurseBrowser();
    const second = await nurseBrowser();
    const page = await first.browser.get(`/patients/${patient.id}`);
    const id = complicationIds(page.body)[0];
    const url = `/patients/${patient.id}/complications/${id}/edit`;
    const formOf = async (browser: WebClient) => {
      const edit = await browser.get(url);
      return {
        version: /name="version" value="(\d+)"/.exec(edit.body)![1],
        code: /<option value="([a-z_]+)" selected>/.exec(edit.body)![1],
        ...Object.fromEntries(
          ['onsetAt[day]', 'onsetAt[month]', 'onsetAt[year]'].map((name) => [
            name,
            new RegExp(`name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*value="(\\d+)"`).exec(edit.body)?.[1] ??
              '',
          ]),
        ),
        'onsetAt-time': /name="onsetAt-time"[^>]*value="([0-9:]+)"/.exec(edit.body)![1],
      };
    };
    const theirs = await formOf(first.browser);
    const mine = await formOf(second.browser);

    // A correction of a recorded value needs a reason.
    const noReason = await first.browser.post(url, { ...theirs, grade: '3' });
    expect(errorSummaryOf(noReason.body)[0]).toMatch(/^Reason is required/);
    const saved = await first.browser.post(url, {
      ...theirs,
      grade: '3',
      reason: 'graded again after review',
    });
    expect(saved.status).toBe(303);

    const stale = await second.browser.post(url, { ...mine, grade: '4', reason: 'typed the wrong grade' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('Someone changed this record while you were editing it');
    // The record as it is now (grade 3), and the nurse's own answers (grade 4, their reason) still in the form.
    expect(stale.body).toMatch(/Grade\s*<\/dt>\s*<dd class="nhsuk-summary-list__value">\s*3\s*</);
    expect(stale.body).toMatch(/<input[^>]*name="grade"[^>]*value="4"/);
    expect(stale.body).toContain('value="typed the wrong grade"');
    const newVersion = /name="version" value="(\d+)"/.exec(stale.body)![1];
    expect(Number(newVersion)).toBe(Number(mine.version) + 1);
    const again = await second.browser.post(url, {
      ...mine,
      version: newVersion,
      grade: '4',
      reason: 'typed the wrong grade',
    });
    expect(again.status).toBe(303);

    const history = await second.browser.get(`/patients/${patient.id}/history`);
    expect(history.body).toContain('graded again after review');
    expect(history.body).toContain('typed the wrong grade');
  });

  it('voids a record with a reason: it stays on the record, marked void', async () => {
    const { browser } = await nurseBrowser();
    const id = complicationIds((await browser.get(`/patients/${patient.id}`)).body)[1];
    const voidUrl = `/patients/${patient.id}/complications/${id}/void`;
    const page = await browser.get(voidUrl);
    expect(headingOf(page.body)).toBe('Void: complication');
    const noReason = await browser.post(voidUrl, {
      version: /name="version" value="(\d+)"/.exec(page.body)![1],
    });
    expect(errorSummaryOf(noReason.body)).toEqual(['Say why you are voiding it']);
    const voided = await browser.post(voidUrl, {
      version: /name="version" value="(\d+)"/.exec(page.body)![1],
      reason: 'entered on the wrong patient',
    });
    expect(voided.status).toBe(303);
    const after = await browser.get(`/patients/${patient.id}`);
    expect(after.body).toContain('entered on the wrong patient');
    expect(complicationIds(after.body)).toHaveLength(1);
  });

  it('refuses another site’s nurse (page not found) and a data manager (403)', async () => {
    const other = await createSite(api, adminToken, 'Papworth');
    const { browser } = await nurseBrowser(other.id);
    expect((await browser.get(`/patients/${patient.id}/complications/new`)).status).toBe(404);
    const manager = await createUser(api, adminToken, 'data_manager');
    const client = new WebClient(web);
    await client.signIn(manager.email, manager.totpSecret, 1);
    expect((await client.get(`/patients/${patient.id}/complications/new`)).status).toBe(403);
    expect((await client.get(`/patients/${patient.id}`)).body).not.toContain('Record a complication');
  });
});
