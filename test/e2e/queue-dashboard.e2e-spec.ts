import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Worker, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { HIDDEN, JobName, QueueName, QueueService } from '../../libs/queue/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
} from '../support/access.js';
import { connect, eventually, startApi, testConfig } from '../support/apps.js';

const SECRET = 'SHOULD-NOT-SHOW Jane Doe 943 476 5919';

/** The `name=value` of the dashboard cookie in a response's Set-Cookie, with its attributes. */
function dashboardCookie(setCookie: string | string[] | undefined): string {
  const all = ([] as string[]).concat(setCookie ?? []);
  const cookie = all.find((c) => c.startsWith('queues_session='));
  if (!cookie) throw new Error(`no dashboard cookie in ${JSON.stringify(all)}`);
  return cookie;
}

describe('queue dashboard (bull-board): administrators only, read-only, ids only', () => {
  // A prefix of its own: the queues hold only this file's jobs, and a worker here processes only them.
  const prefix = `${testConfig().REDIS_PREFIX}-dashboard`;
  let app: NestFastifyApplication;
  let db: pg.Client;
  let redis: Redis;
  let admin: { id: string; accessToken: string; refreshToken: string };
  let nurseToken: string;

  const get = (url: string, cookie?: string) =>
    app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

  async function openSession(accessToken: string): Promise<string> {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/queues/session',
      headers: bearer(accessToken),
    });
    expect(response.statusCode).toBe(204);
    return dashboardCookie(response.headers['set-cookie']).split(';')[0];
  }

  beforeAll(async () => {
    db = await connect('app');
    redis = new Redis(testConfig().REDIS_URL, { maxRetriesPerRequest: null });
    app = await startApi({ REDIS_PREFIX: prefix });
    const email = uniqueEmail('dashboard-admin');
    const signedIn = await onboard(app, email, await createAdminWithCli(email));
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(signedIn.accessToken) });
    admin = {
      id: me.json<{ id: string }>().id,
      accessToken: signedIn.accessToken,
      refreshToken: signedIn.refreshToken,
    };
    const site = await createSite(app, admin.accessToken, 'Dashboard Hospital');
    nurseToken = (await createUser(app, admin.accessToken, 'research_nurse', [site.id])).accessToken;
  });

  afterAll(async () => {
    for (const queue of app.get(QueueService).allQueues()) await queue.obliterate({ force: true });
    await app.close();
    redis.disconnect();
    await db.end();
  });

  it('sends a browser without a session to the sign-in page and answers 401 to anything else', async () => {
    const page = await get('/admin/queues');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/admin/queues/sign-in');
    expect((await get('/admin/queues/queue/reminders')).statusCode).toBe(303);

    for (const url of ['/admin/queues/api/queues', '/admin/queues/static/js/main.js']) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 401 });
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    // A cookie that is not a valid access token, or a refresh token in its place: 401 all the same.
    expect((await get('/admin/queues/api/queues', 'queues_session=not-a-token')).statusCode).toBe(401);
    expect((await get('/admin/queues/api/queues', `queues_session=${admin.refreshToken}`)).statusCode).toBe(
      401,
    );

    const signIn = await get('/admin/queues/sign-in');
    expect(signIn.statusCode).toBe(200);
    expect(signIn.headers['content-type']).toContain('text/html');
    expect(signIn.body).toContain('<form id="sign-in">');
    expect(signIn.body).toContain('src="/admin/queues/sign-in.js"');
    const script = await get('/admin/queues/sign-in.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.body).toContain("post('/admin/queues/session'");
  });

  it('opens only for an administrator, with a cookie that stays on the dashboard path and is audited', async () => {
    expect((await app.inject({ method: 'POST', url: '/admin/queues/session' })).statusCode).toBe(401);
    const nurse = await app.inject({
      method: 'POST',
      url: '/admin/queues/session',
      headers: bearer(nurseToken),
    });
    expect(nurse.statusCode).toBe(403);
    expect(nurse.headers['set-cookie']).toBeUndefined();

    const response = await app.inject({
      method: 'POST',
      url: '/admin/queues/session',
      headers: bearer(admin.accessToken),
    });
    expect(response.statusCode).toBe(204);
    const cookie = dashboardCookie(response.headers['set-cookie']);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/admin\/queues(;|$)/);
    const expires = Date.parse(/; Expires=([^;]+)/.exec(cookie)?.[1] ?? '');
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + testConfig().ACCESS_TOKEN_TTL_SECONDS * 1000 + 1000);

    const { rows } = await db.query<{ actor: string }>(
      `SELECT actor FROM audit_event WHERE action = 'queues.dashboard_opened' AND entity_id = $1`,
      [admin.id],
    );
    expect(rows.map((r) => r.actor)).toContain(`user:${admin.id}`);

    const board = await get('/admin/queues', cookie.split(';')[0]);
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('ECMO registry queues');

    // A nurse's token put in the cookie by hand does not open it either.
    const forged = await get('/admin/queues/api/queues', `queues_session=${nurseToken}`);
    expect(forged.statusCode).toBe(403);
  });

  it('shows a waiting job with its ids only, never the rest of its payload', async () => {
    const cookie = await openSession(admin.accessToken);
    const reminderId = randomUUID();
    const queue = app.get(QueueService).queue(QueueName.Reminders);
    const job = await queue.add(
      JobName.SendReminder,
      { reminderId, version: 2, note: SECRET, nested: { phone: '07700 900123' } },
      { jobId: `dashboard-${reminderId}`, delay: 3_600_000 },
    );

    const list = await get(
      `/admin/queues/api/queues?activeQueue=${QueueName.Reminders}&status=delayed&page=1&jobsPerPage=50`,
      cookie,
    );
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('SHOULD-NOT-SHOW');
    expect(list.body).not.toContain('07700');
    const listed = list
      .json<{ queues: { name: string; jobs: { id: string; data: unknown }[] }[] }>()
      .queues.find((q) => q.name === String(QueueName.Reminders))
      ?.jobs.find((j) => j.id === job.id);
    expect(listed?.data).toEqual({ reminderId, version: 2, note: HIDDEN, nested: HIDDEN });

    const single = await get(`/admin/queues/api/queues/${QueueName.Reminders}/${job.id}`, cookie);
    expect(single.statusCode).toBe(200);
    expect(single.body).not.toContain('SHOULD-NOT-SHOW');
    expect(single.json<{ job: { data: unknown } }>().job.data).toEqual({
      reminderId,
      version: 2,
      note: HIDDEN,
      nested: HIDDEN,
    });
  });

  it('hides the failure reason, stack trace and logs of a failed job, and refuses every change', async () => {
    const cookie = await openSession(admin.accessToken);
    const queue: Queue = app.get(QueueService).queue(QueueName.Maintenance);
    const worker = new Worker(
      QueueName.Maintenance,
      async (job) => {
        await job.log(`processing for ${SECRET}`);
        throw new Error(`could not reach ${SECRET}`);
      },
      { connection: redis, prefix },
    );
    try {
      const job = await queue.add(
        JobName.Heartbeat,
        {},
        { jobId: `dashboard-fail-${randomUUID()}`, attempts: 1 },
      );
      await eventually(async () => ((await job.isFailed()) ? true : undefined));

      const list = await get(
        `/admin/queues/api/queues?activeQueue=${QueueName.Maintenance}&status=failed&page=1&jobsPerPage=50`,
        cookie,
      );
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain('SHOULD-NOT-SHOW');
      const failed = list
        .json<{
          queues: { name: string; jobs: { id: string; failedReason: string; stacktrace: string[] }[] }[];
        }>()
        .queues.find((q) => q.name === String(QueueName.Maintenance))
        ?.jobs.find((j) => j.id === job.id);
      expect(failed).toMatchObject({ failedReason: HIDDEN, stacktrace: [] });

      const single = await get(`/admin/queues/api/queues/${QueueName.Maintenance}/${job.id}`, cookie);
      expect(single.statusCode).toBe(200);
      expect(single.body).not.toContain('SHOULD-NOT-SHOW');
      const logs = await get(`/admin/queues/api/queues/${QueueName.Maintenance}/${job.id}/logs`, cookie);
      expect(logs.statusCode).toBe(200);
      expect(logs.json()).toEqual([]);
      // The log is there in Redis: the dashboard hides it, it is not simply empty.
      expect((await queue.getJobLogs(job.id as string)).logs[0]).toContain('SHOULD-NOT-SHOW');

      const writes: [string, string][] = [
        ['PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/${job.id}/retry`],
        ['PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/retry/failed`],
        ['PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/clean/failed`],
        ['PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/pause`],
        ['PUT', '/admin/queues/api/queues/pause'],
        ['PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/obliterate`],
        ['POST', `/admin/queues/api/queues/${QueueName.Maintenance}/add`],
        ['PATCH', `/admin/queues/api/queues/${QueueName.Maintenance}/${job.id}/update-data`],
      ];
      for (const [method, url] of writes) {
        const response = await app.inject({
          method: method as 'PUT',
          url,
          headers: { cookie, 'content-type': 'application/json' },
          payload: { name: 'x', data: { note: SECRET } },
        });
        expect({ method, url, status: response.statusCode }).toEqual({ method, url, status: 405 });
      }
      const flow = await get(`/admin/queues/api/queues/${QueueName.Maintenance}/${job.id}/flow`, cookie);
      expect(flow.statusCode).toBe(404);
      expect(await job.isFailed()).toBe(true);
      expect(await queue.isPaused()).toBe(false);
      expect(await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('closes at once when the administrator signs out or is disabled', async () => {
    const cookie = await openSession(admin.accessToken);
    expect((await get('/admin/queues/api/queues', cookie)).statusCode).toBe(200);
    const signOut = await get('/admin/queues/sign-out', cookie);
    expect(signOut.statusCode).toBe(303);
    expect(signOut.headers.location).toBe('/admin/queues/sign-in');
    expect(dashboardCookie(signOut.headers['set-cookie'])).toMatch(
      /^queues_session=;.*Expires=Thu, 01 Jan 1970/,
    );
    expect((await get('/admin/queues/api/queues', cookie)).statusCode).toBe(401);
    // The whole sign-in ended: the access token no longer works on the api either.
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(admin.accessToken) });
    expect(me.statusCode).toBe(401);
    const { rows } = await db.query<{ details: { reason: string } }>(
      `SELECT new_values AS details FROM audit_event WHERE action = 'token.revoked' AND entity_id = $1`,
      [admin.id],
    );
    expect(rows.map((r) => r.details.reason)).toContain('logout');

    // A second administrator is disabled by a third: their open dashboard refuses the next request.
    const second = await createUser(app, await newAdminToken(), 'admin');
    const secondCookie = await openSession(second.accessToken);
    expect((await get('/admin/queues/api/queues', secondCookie)).statusCode).toBe(200);
    const disable = await app.inject({
      method: 'POST',
      url: `/users/${second.id}/disable`,
      headers: bearer(await newAdminToken()),
    });
    expect(disable.statusCode).toBe(200);
    expect((await get('/admin/queues/api/queues', secondCookie)).statusCode).toBe(401);
  });

  async function newAdminToken(): Promise<string> {
    const email = uniqueEmail('dashboard-admin');
    return (await onboard(app, email, await createAdminWithCli(email))).accessToken;
  }
});
