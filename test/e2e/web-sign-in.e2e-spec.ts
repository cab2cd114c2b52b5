import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { totpCode } from '../../libs/access/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  PASSWORD,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, startApi } from '../support/apps.js';
import { errorSummaryOf, headingOf, startWeb, WebClient } from '../support/web.js';

/**
 * Issue 26, slice 1: the web application's shell, sign-in and worklist at the HTTP level, on the real
 * database and Redis. Users are made as an administrator makes them (through the api); the web app runs
 * in-process beside it on the same database, as in production.
 */
describe('web application: sign-in, session and worklist', () => {
  let api: NestFastifyApplication;
  let web: NestFastifyApplication;
  let db: pg.Client;
  let admin: SignedIn;
  let siteA: { id: string; name: string };
  let siteB: { id: string; name: string };
  let nurse: SignedIn & { id: string };

  beforeAll(async () => {
    api = await startApi();
    web = await startWeb();
    db = await connect('owner');
    const email = uniqueEmail('admin');
    admin = await onboard(api, email, await createAdminWithCli(email));
    siteA = await createSite(api, admin.accessToken, 'Harefield');
    siteB = await createSite(api, admin.accessToken, 'Papworth');
    nurse = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
  });

  afterAll(async () => {
    await db?.end();
    await web?.close();
    await api?.close();
  });

  const auditActions = async (userId: string, since: Date) =>
    (
      await db.query<{ action: string }>(
        `SELECT action FROM audit_event WHERE entity_id = $1 AND occurred_at >= $2 ORDER BY id`,
        [userId, since],
      )
    ).rows.map((r) => r.action);

  it('signs a nurse in with password then TOTP, a new session id at each step, onto their site’s worklist', async () => {
    const browser = new WebClient(web);
    const page = await browser.get('/sign-in');
    expect(page.status).toBe(200);
    expect(headingOf(page.body)).toBe('Sign in');
    // A strict policy: no inline script or style, nothing from another origin.
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);

    const password = await browser.post('/sign-in', { email: nurse.email, password: PASSWORD });
    expect({ status: password.status, location: password.location }).toEqual({
      status: 303,
      location: '/sign-in/code',
    });
    const afterPassword = browser.cookies.get('ecmo_session');
    expect(afterPassword).toBeDefined();
    const setCookie = String(password.headers['set-cookie']);
    expect(setCookie).toMatch(/ecmo_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);

    // The next time step's code: the current one confirmed the enrolment, and a code works once.
    const code = await browser.submit('/sign-in/code', {
      code: totpCode(nurse.totpSecret, Date.now() + 30_000),
    });
    expect({ status: code.status, location: code.location }).toEqual({ status: 303, location: '/' });
    expect(browser.cookies.get('ecmo_session')).not.toBe(afterPassword);

    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.headers['cache-control']).toBe('no-store');
    expect(headingOf(home.body)).toBe('Worklist: Harefield');
    // The header names the user, their role and their site.
    expect(home.body).toMatch(
      /Test research_nurse<span class="app-header-role">Research nurse, Harefield<\/span>/,
    );
    for (const section of ['Visits due with no appointment', 'Overdue visits', 'Appointments this week'])
      expect(home.body).toContain(section);
  });

  it('refuses a wrong password with the error summary, sets no session, and counts it towards the lockout', async () => {
    const since = new Date();
    const browser = new WebClient(web);
    const answer = await browser.submit('/sign-in', {
      email: nurse.email,
      password: 'not the password at all',
    });
    expect(answer.status).toBe(401);
    expect(errorSummaryOf(answer.body)).toEqual(['Enter a correct email address and password']);
    // What was typed is kept, except the password.
    expect(answer.body).toContain(`value="${nurse.email}"`);
    expect(browser.cookies.has('ecmo_session')).toBe(false);
    expect((await auditActions(nurse.id, since)).filter((a) => a.startsWith('login'))).toEqual([
      'login.failed',
    ]);
    const { rows } = await db.query<{ n: number }>(
      `SELECT failed_login_count AS n FROM app_user WHERE id = $1`,
      [nurse.id],
    );
    expect(rows[0].n).toBe(1);
    // Blank fields are named, and nothing is asked of the database.
    const blank = await browser.submit('/sign-in', { email: '', password: '' });
    expect(blank.status).toBe(400);
    expect(errorSummaryOf(blank.body)).toEqual(['Enter your email address', 'Enter your password']);
  });

  it('refuses a form without its CSRF token, or with another browser’s, and changes nothing', async () => {
    const since = new Date();
    const browser = new WebClient(web);
    await browser.get('/sign-in');
    const none = await browser.post('/sign-in', { email: nurse.email, password: PASSWORD, csrf: null });
    expect(none.status).toBe(403);
    expect(none.body).toContain('This form was out of date');
    const other = new WebClient(web);
    await other.get('/sign-in');
    const foreign = await browser.post('/sign-in', {
      email: nurse.email,
      password: PASSWORD,
      csrf: other.lastPage.match(/name="_csrf" value="([^"]+)"/)![1],
    });
    expect(foreign.status).toBe(403);
    expect(await auditActions(nurse.id, since)).toEqual([]);
    expect(browser.cookies.has('ecmo_session')).toBe(false);
  });

  it('sends a browser without a session to sign-in, from every page', async () => {
    const browser = new WebClient(web);
    for (const url of ['/', `/sites/${siteA.id}/worklist`, '/sign-in/recovery-codes', '/sign-in/code']) {
      const answer = await browser.get(url);
      expect({ url, status: answer.status, location: answer.location }).toEqual({
        url,
        status: 303,
        location: '/sign-in',
      });
    }
  });

  it('answers another site’s worklist with the page-not-found page, and a role without a worklist with 403', async () => {
    const nurseA = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
    const browser = new WebClient(web);
    await browser.signIn(nurseA.email, nurseA.totpSecret, 1);
    expect((await browser.get(`/sites/${siteA.id}/worklist`)).status).toBe(200);
    const other = await browser.get(`/sites/${siteB.id}/worklist`);
    expect(other.status).toBe(404);
    expect(headingOf(other.body)).toBe('Page not found');
    expect(other.body).not.toContain('Papworth');
    expect((await browser.get('/sites/not-a-site/worklist')).status).toBe(404);

    const auditor = await createUser(api, admin.accessToken, 'auditor');
    const auditorBrowser = new WebClient(web);
    await auditorBrowser.signIn(auditor.email, auditor.totpSecret, 1);
    const refused = await auditorBrowser.get(`/sites/${siteA.id}/worklist`);
    expect(refused.status).toBe(403);
    expect(headingOf(refused.body)).toBe('You do not have access to this page');
    // Each role sees only its own menu: the auditor has no worklist link.
    const home = await auditorBrowser.get('/');
    expect(home.status).toBe(200);
    expect(home.body).not.toContain('>Worklist<');

    const manager = await createUser(api, admin.accessToken, 'data_manager');
    const managerBrowser = new WebClient(web);
    await managerBrowser.signIn(manager.email, manager.totpSecret, 1);
    const choose = await managerBrowser.get('/');
    expect(headingOf(choose.body)).toBe('Choose a site');
    expect(choose.body).toContain(`/sites/${siteA.id}/worklist`);
    expect(choose.body).toContain(`/sites/${siteB.id}/worklist`);
    expect((await managerBrowser.get(`/sites/${siteB.id}/worklist`)).status).toBe(200);
  });

  it('signs out: the sign-in row is revoked as the api’s sign-out revokes it, and the old cookie opens nothing', async () => {
    const user = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
    const browser = new WebClient(web);
    await browser.signIn(user.email, user.totpSecret, 1);
    const cookie = browser.cookies.get('ecmo_session')!;
    const home = await browser.get('/');
    const out = await browser.post('/sign-out', {});
    expect({ status: out.status, location: out.location }).toEqual({ status: 303, location: '/signed-out' });
    expect(browser.cookies.has('ecmo_session')).toBe(false);
    expect(headingOf((await browser.get('/signed-out')).body)).toBe('You have signed out');
    expect(home.status).toBe(200);
    const { rows } = await db.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM refresh_token t JOIN web_session s ON s.sign_in_id = t.family_id
        WHERE s.user_id = $1 AND t.revoked_at IS NULL`,
      [user.id],
    );
    expect(rows[0].live).toBe(0);
    browser.cookies.set('ecmo_session', cookie);
    expect((await browser.get('/')).location).toBe('/sign-in');
  });

  it('ends a session idle for longer than the idle timeout, or older than its maximum length, with “your session has expired”', async () => {
    for (const column of ['last_seen_at', 'signed_in_at']) {
      const user = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
      const browser = new WebClient(web);
      await browser.signIn(user.email, user.totpSecret, 1);
      expect((await browser.get('/')).status).toBe(200);
      // The idle timeout is REFRESH_TOKEN_TTL_SECONDS (30 minutes), the maximum SESSION_MAX_SECONDS (12 hours).
      const back = column === 'last_seen_at' ? '31 minutes' : '13 hours';
      await db.query(
        `UPDATE web_session SET ${column} = ${column} - interval '${back}'
          WHERE user_id = $1 AND ended_at IS NULL AND stage = 'signed_in'`,
        [user.id],
      );
      const expired = await browser.get('/');
      expect({ column, status: expired.status, location: expired.location }).toEqual({
        column,
        status: 303,
        location: '/session-expired',
      });
      const notice = await browser.get('/session-expired');
      expect(headingOf(notice.body)).toBe('Your session has expired');
    }
  });

  it('ends the session at once when an administrator disables the user', async () => {
    const user = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
    const browser = new WebClient(web);
    await browser.signIn(user.email, user.totpSecret, 1);
    expect((await browser.get('/')).status).toBe(200);
    const disabled = await api.inject({
      method: 'POST',
      url: `/users/${user.id}/disable`,
      headers: bearer(admin.accessToken),
      payload: { reason: 'left the trust' },
    });
    expect(disabled.statusCode).toBeLessThan(300);
    expect((await browser.get('/')).location).toBe('/session-expired');
  });

  it('takes a new user from the administrator’s one-time token to a password, an authenticator from a QR code, and recovery codes shown once', async () => {
    const email = uniqueEmail('newnurse');
    const created = await api.inject({
      method: 'POST',
      url: '/users',
      headers: bearer(admin.accessToken),
      payload: { email, displayName: 'New Nurse', role: 'research_nurse', siteIds: [siteA.id] },
    });
    const token = created.json<{ passwordSetup: { token: string } }>().passwordSetup.token;
    const browser = new WebClient(web);

    const mismatch = await browser.submit('/reset-password', {
      token,
      password: PASSWORD,
      confirm: 'something else',
    });
    expect(mismatch.status).toBe(400);
    expect(errorSummaryOf(mismatch.body)).toEqual(['Enter the same password twice']);
    expect(mismatch.body).toContain(`value="${token}"`);
    const short = await browser.post('/reset-password', { token, password: 'short', confirm: 'short' });
    expect(errorSummaryOf(short.body)).toEqual(['The password must be at least 12 characters']);
    const set = await browser.post('/reset-password', { token, password: PASSWORD, confirm: PASSWORD });
    expect(set.location).toBe('/password-set');
    const again = await browser.submit('/reset-password', { token, password: PASSWORD, confirm: PASSWORD });
    expect(errorSummaryOf(again.body)).toEqual([
      'This one-time code is wrong, used or expired: ask your administrator for a new one',
    ]);

    const password = await browser.submit('/sign-in', { email, password: PASSWORD });
    expect(password.location).toBe('/sign-in/set-up-authenticator');
    const enrolPage = await browser.get('/sign-in/set-up-authenticator');
    expect(enrolPage.body).toMatch(/<div class="app-qr" role="img" aria-label="[^"]+"><svg /);
    const secret = /<p class="app-secret">([A-Z2-7 ]+)<\/p>/.exec(enrolPage.body)![1].replace(/ /g, '');
    const wrong = await browser.post('/sign-in/set-up-authenticator', { code: '000000' });
    expect(wrong.status).toBe(401);
    const enrolled = await browser.post('/sign-in/set-up-authenticator', { code: totpCode(secret) });
    expect(enrolled.location).toBe('/sign-in/recovery-codes');
    const codesPage = await browser.get('/sign-in/recovery-codes');
    const codes = [...codesPage.body.matchAll(/<li>([0-9a-z-]{19})<\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    // Shown once.
    expect((await browser.get('/sign-in/recovery-codes')).location).toBe('/');

    // A recovery code signs in instead of the app's code, once.
    const later = new WebClient(web);
    await later.submit('/sign-in', { email, password: PASSWORD });
    expect((await later.submit('/sign-in/code', { code: codes[0] })).location).toBe('/');
    const replay = new WebClient(web);
    await replay.submit('/sign-in', { email, password: PASSWORD });
    const refused = await replay.submit('/sign-in/code', { code: codes[0] });
    expect(refused.status).toBe(401);
    expect(errorSummaryOf(refused.body)[0]).toMatch(/^Enter a correct code/);
  });

  it('limits sign-in attempts per account as the api does, with the 429 page', async () => {
    const user = await createUser(api, admin.accessToken, 'research_nurse', [siteA.id]);
    // The suite's own limits are high (it signs in often); this web app has the default, 5 a minute. The
    // counts are shared with the api through Redis: onboarding's sign-in was the first attempt.
    const limited = await startWeb({ LOGIN_RATE_PER_ACCOUNT: '5' });
    try {
      const browser = new WebClient(limited);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await browser.submit('/sign-in', {
          email: user.email,
          password: 'wrong password here',
        });
        statuses.push(answer.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect(headingOf(browser.lastPage)).toBe('Too many attempts');
    } finally {
      await limited.close();
    }
  });

  it('serves its CSS and JavaScript under hashed names, cached for a year, and nothing else from elsewhere', async () => {
    const page = await new WebClient(web).get('/sign-in');
    const assets = [...page.body.matchAll(/(?:href|src)="(\/assets\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    for (const url of assets) {
      const answer = await web.inject({ method: 'GET', url });
      expect({ url, status: answer.statusCode }).toEqual({ url, status: 200 });
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(answer.body).not.toMatch(/@font-face|url\(["']?https?:/);
    }
  });
});
