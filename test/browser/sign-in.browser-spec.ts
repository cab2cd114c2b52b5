/// <reference lib="dom" />
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../libs/access/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  PASSWORD,
  uniqueEmail,
} from '../support/access.js';
import { enrol, testNhsNumber, type Enrolled } from '../support/patients.js';
import { spawnApp, startApi, type AppProcess } from '../support/apps.js';
import { axeViolations, launchChromium, screenshot } from '../support/browser.js';

/**
 * Issue 26, slice 1, in a real browser: Debian's Chromium against the compiled web app (its own port, this
 * run's database and Redis prefix). A new nurse goes from the administrator's one-time code to their worklist;
 * every page on the way has no WCAG 2.2 A/AA violation (axe-core); the same works by keyboard alone and with
 * JavaScript off.
 */
// A journey drives many pages and runs axe on each: far longer than the suite's 30 s on a busy machine.
jest.setTimeout(180_000);

describe('web application in Chromium: a new nurse’s first sign-in', () => {
  let api: NestFastifyApplication;
  let web: AppProcess;
  let browser: Browser;
  let adminToken: string;
  let site: { id: string; name: string };
  let base: string;
  let patient: Enrolled;

  beforeAll(async () => {
    api = await startApi();
    web = await spawnApp('web');
    base = `http://127.0.0.1:${web.port}`;
    browser = await launchChromium();
    const email = uniqueEmail('admin');
    adminToken = (await onboard(api, email, await createAdminWithCli(email))).accessToken;
    site = await createSite(api, adminToken, 'Wythenshawe');
    const colleague = await createUser(api, adminToken, 'research_nurse', [site.id]);
    patient = await enrol(api, colleague.accessToken, { siteId: site.id });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await api?.close();
  });

  /** An administrator creates a nurse of the site; answers their e-mail and one-time code. */
  async function newNurse(): Promise<{ email: string; token: string }> {
    const email = uniqueEmail('nurse');
    const created = await api.inject({
      method: 'POST',
      url: '/users',
      headers: bearer(adminToken),
      payload: { email, displayName: 'Nell Nurse', role: 'research_nurse', siteIds: [site.id] },
    });
    return { email, token: created.json<{ passwordSetup: { token: string } }>().passwordSetup.token };
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect({ page: name, violations: await axeViolations(page) }).toEqual({ page: name, violations: [] });
  }

  it('takes a new nurse from the one-time code to the worklist, each page accessible', async () => {
    const { email, token } = await newNurse();
    const context = await browser.newContext();
    const page = await context.newPage();
    // Script errors, and anything the CSP refused (a refused form answer's 4xx is logged too: not counted).
    const scripts: string[] = [];
    page.on('pageerror', (error) => scripts.push(error.message));
    page.on('console', (m) => {
      if (
        m.type() === 'error' &&
        !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
      )
        scripts.push(m.text());
    });
    try {
      await page.goto(`${base}/sign-in`);
      await expectAccessible(page, 'sign-in');
      await page.getByRole('link', { name: 'set your password' }).click();
      await page.getByLabel('One-time code').fill(token);
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Type the new password again').fill('not the same password');
      await page.getByRole('button', { name: 'Set password' }).click();
      // The error summary takes the focus (nhsuk-frontend's script), and says what to do.
      await page.waitForFunction(() => document.activeElement?.classList.contains('nhsuk-error-summary'));
      await expectAccessible(page, 'reset-password-error');
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Type the new password again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Set password' }).click();
      await heading(page, 'Your password has been set');
      await expectAccessible(page, 'password-set');

      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await expectAccessible(page, 'set-up-authenticator');
      const secret = (await page.locator('.app-secret').textContent())!.replace(/\s/g, '');
      await page.getByLabel('Code from your authenticator app').fill(totpCode(secret));
      await page.getByRole('button', { name: 'Continue' }).click();
      await heading(page, 'Save your recovery codes');
      await expectAccessible(page, 'recovery-codes');
      await page.getByRole('button', { name: 'I have saved my codes' }).click();

      await heading(page, 'Worklist: Wythenshawe');
      await expectAccessible(page, 'worklist');

      // Find the patient a colleague enrolled: a wrong NHS number first, then theirs.
      await page.getByRole('link', { name: 'Find a patient' }).click();
      await page.getByLabel('NHS number').fill('999 000 0019');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForFunction(() => document.activeElement?.classList.contains('nhsuk-error-summary'));
      await expectAccessible(page, 'find-patient-error');
      await page.getByLabel('NHS number').fill(patient.nhsNumber);
      await page.getByRole('button', { name: 'Search' }).click();
      await expectAccessible(page, 'find-patient-results');
      await page.getByRole('link', { name: patient.registryId }).click();
      await heading(page, `Patient ${patient.registryId}`);
      await expectAccessible(page, 'patient');
      await page.getByRole('link', { name: /^History of this record/ }).click();
      await heading(page, `History of ${patient.registryId}`);
      await expectAccessible(page, 'patient-history');
      await page.getByRole('link', { name: 'Patients', exact: true }).click();
      await heading(page, 'Patients: Wythenshawe');
      await expectAccessible(page, 'patients');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading(page, 'You have signed out');
      await expectAccessible(page, 'signed-out');
      expect(scripts).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('has an accessibility check that finds what it looks for (a control without a name)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.setContent(
        '<!DOCTYPE html><html lang="en"><title>t</title><main><input type="text"></main></html>',
      );
      expect((await axeViolations(page)).join('\n')).toMatch(/^label /m);
    } finally {
      await context.close();
    }
  });

  it('signs in by keyboard alone, and with JavaScript off', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const { email, token } = await newNurse();
      const context = await browser.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      try {
        await page.goto(`${base}/reset-password`);
        await page.locator('#token').fill(token);
        await page.locator('#password').fill(PASSWORD);
        await page.locator('#confirm').fill(PASSWORD);
        await page.locator('#confirm').press('Enter');
        await page.waitForURL(`${base}/password-set`);

        await page.goto(`${base}/sign-in`);
        // From the top of the page: the skip link, then the form, by Tab alone.
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(
          'Skip to main content',
        );
        await page.keyboard.press('Enter');
        await tabUntil(page, '#email');
        await page.keyboard.type(email);
        await tabUntil(page, '#password');
        await page.keyboard.type(PASSWORD);
        await page.keyboard.press('Enter');
        await page.waitForURL(`${base}/sign-in/set-up-authenticator`);
        const secret = (await page.locator('.app-secret').textContent())!.replace(/\s/g, '');
        await tabUntil(page, '#code');
        await page.keyboard.type(totpCode(secret));
        await page.keyboard.press('Enter');
        await page.waitForURL(`${base}/sign-in/recovery-codes`);
        await tabUntil(page, 'a.nhsuk-button');
        await page.keyboard.press('Enter');
        await page.waitForURL(`${base}/`);
        expect({ javaScriptEnabled, heading: await page.locator('h1').textContent() }).toEqual({
          javaScriptEnabled,
          heading: 'Worklist: Wythenshawe',
        });
      } finally {
        await context.close();
      }
    }
  });
  /** Fills the NHS date input `name` (and its time box) with a day `days` ago. */
  async function fillWhen(page: Page, name: string, days: number, time?: string): Promise<void> {
    const [year, month, day] = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10).split('-');
    await page.locator(`#${name}-day`).fill(String(Number(day)));
    await page.locator(`#${name}-month`).fill(String(Number(month)));
    await page.locator(`#${name}-year`).fill(year);
    if (time) await page.locator(`#${name}-time`).fill(time);
  }

  it('enrols a patient through the task list, with JavaScript on (each page accessible) and off', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const nurse = await createUser(api, adminToken, 'research_nurse', [site.id]);
      const context = await browser.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      const check = async (name: string) => {
        if (javaScriptEnabled) await expectAccessible(page, name);
      };
      try {
        await page.goto(`${base}/sign-in`);
        await page.locator('#email').fill(nurse.email);
        await page.locator('#password').fill(PASSWORD);
        await page.locator('#password').press('Enter');
        await page.waitForURL(`${base}/sign-in/code`);
        await page.locator('#code').fill(nurse.recoveryCodes[0]);
        await page.locator('#code').press('Enter');
        await page.waitForURL(`${base}/`);

        await page.goto(`${base}/enrol`);
        await check('enrol-start');
        await page.getByRole('button', { name: 'Start a new enrolment' }).click();
        await heading(page, 'Enrol a patient');
        await check('enrol-tasks');
        const tasks = page.url();
        const section = async (name: string, fill: () => Promise<void>) => {
          await page.goto(tasks);
          await page.getByRole('link', { name }).click();
          await fill();
          await page.getByRole('button', { name: 'Continue' }).click();
          await heading(page, 'Check your answers');
          await page.getByRole('button', { name: 'Confirm and continue' }).click();
          await page.waitForURL(tasks);
        };
        // A section refused first: every error named, what was typed kept.
        await page.getByRole('link', { name: "Patient's details" }).click();
        await page.locator('#nhsNumber').fill('999 000 0019');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.locator('.nhsuk-error-summary').waitFor();
        await check('enrol-section-errors');
        await section("Patient's details", async () => {
          await page.locator('#nhsNumber').fill(testNhsNumber());
          await page.locator('#givenName').fill('Marta');
          await page.locator('#familyName').fill('Ferreira');
          await page.locator('#dateOfBirth-day').fill('12');
          await page.locator('#dateOfBirth-month').fill('4');
          await page.locator('#dateOfBirth-year').fill('1961');
          await page.locator('#sex').selectOption('female');
          await page.getByLabel('No reminders').check();
        });
        await section('Operation', async () => {
          await fillWhen(page, 'operationDate', 3);
          await page.locator('#category').selectOption('cabg');
        });
        await section('ECMO run', async () => {
          await fillWhen(page, 'startedAt', 3, '16:20');
          await page.locator('#mode').selectOption('VA');
          await page.locator('#startLocation').selectOption('theatre');
          await page.locator('#startedFor').selectOption('failure_to_wean');
        });
        await section('MDT decision', async () => {
          await fillWhen(page, 'decidedAt', 3, '13:00');
          await page.locator('#decidedBy').fill('Cardiac MDT');
        });
        await section('Consent', async () => {
          await page.getByRole('radio', { name: /^In an emergency/ }).check();
          await fillWhen(page, 'occurredAt', 3, '17:00');
          await page.locator('#independentDoctor').fill('Dr Independent');
        });
        await page.getByRole('button', { name: 'Check the enrolment and submit' }).click();
        await heading(page, 'Check the enrolment');
        await check('enrol-check');
        await page.getByRole('button', { name: 'Submit the enrolment' }).click();
        await heading(page, 'Patient ');
        expect({ javaScriptEnabled, identity: await page.getByText('FERREIRA, Marta').count() }).toEqual({
          javaScriptEnabled,
          identity: 1,
        });
        await check('patient-enrolled');

        // A complication recorded, then corrected with a reason.
        const patientPage = page.url();
        await page.getByRole('link', { name: 'Record a complication' }).click();
        await heading(page, 'Record a complication');
        await check('record-complication');
        await page.locator('#code').selectOption('bleeding_cannulation_site');
        await fillWhen(page, 'onsetAt', 2, '09:15');
        await page.locator('#grade').fill('2');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForURL(`${patientPage}#complications`);
        await page.getByRole('link', { name: /^Change the complication/ }).click();
        await heading(page, 'Change: complication');
        await check('change-complication');
        await page.locator('#grade').fill('3');
        await page.locator('#reason').fill('graded again after review');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForURL(`${patientPage}#complications`);
        await page.getByRole('link', { name: /^History of this record/ }).click();
        expect({
          javaScriptEnabled,
          reason: await page.getByText('graded again after review').count(),
        }).toEqual({
          javaScriptEnabled,
          reason: 1,
        });
      } finally {
        await context.close();
      }
    }
  });
});

/** Presses Tab until the element matching `selector` has the focus (at most 40 times). */
async function tabUntil(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (await page.locator(selector).evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Waits for the page whose main heading is `text`. */
async function heading(page: Page, text: string): Promise<void> {
  await page.locator('h1', { hasText: text }).waitFor({ timeout: 10_000 });
}
