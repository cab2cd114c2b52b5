import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, createAdminWithCli, onboard, uniqueEmail } from '../support/access.js';
import { connect, eventually, startApi, testConfig } from '../support/apps.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Issue 7's fault injection, first cases: the api reaches PostgreSQL and Redis through proxies of the test's
 * own (the shared servers are never touched), and the network to one of them is cut mid-use. While it is
 * down the api answers 503 with Retry-After where it needs it, names it on /health/ready, and changes
 * nothing; once the network is back it serves again by itself, without a restart.
 */
describe('fault injection: the network to PostgreSQL or Redis cut, then restored', () => {
  let app: NestFastifyApplication;
  let postgres: TcpProxy;
  let redis: TcpProxy;
  let admin: string;

  beforeAll(async () => {
    const config = testConfig();
    postgres = await new TcpProxy(Number(new URL(config.DATABASE_URL).port || 5432)).start();
    redis = await new TcpProxy(Number(new URL(config.REDIS_URL).port || 6379)).start();
    app = await startApi({
      DATABASE_URL: postgres.urlFor(config.DATABASE_URL),
      REDIS_URL: redis.urlFor(config.REDIS_URL),
    });
    const email = uniqueEmail('fault-admin');
    admin = (await onboard(app, email, await createAdminWithCli(email))).accessToken;
  }, 60_000);

  afterAll(async () => {
    postgres.restore();
    redis.restore();
    await app.close();
    await postgres.stop();
    await redis.stop();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: bearer(admin) });
  const ready = () => app.inject({ method: 'GET', url: '/health/ready' });
  const createSite = (code: string) =>
    app.inject({
      method: 'POST',
      url: '/sites',
      headers: bearer(admin),
      payload: { code, name: `Fault ${code}` },
    });
  const sitesWithCode = async (code: string) => {
    const db = await connect('owner');
    try {
      return (await db.query(`SELECT 1 FROM site WHERE code = $1`, [code])).rowCount;
    } finally {
      await db.end();
    }
  };

  it('answers 503 with Retry-After while PostgreSQL is unreachable, writes nothing, and recovers by itself', async () => {
    expect((await get('/sites')).statusCode).toBe(200);
    postgres.cut();
    const read = await get('/sites');
    expect({ status: read.statusCode, retryAfter: read.headers['retry-after'] }).toEqual({
      status: 503,
      retryAfter: '5',
    });
    const code = `F${Date.now().toString(36).toUpperCase().slice(-6)}`;
    expect((await createSite(code)).statusCode).toBe(503);
    const report = await ready();
    expect(report.statusCode).toBe(503);
    expect(report.json<{ detail: string }>().detail).toContain('database');

    postgres.restore();
    await eventually(async () => ((await get('/sites')).statusCode === 200 ? true : undefined), 20_000, 200);
    expect((await ready()).statusCode).toBe(200);
    // The write refused while it was down left nothing behind; sent again, it is made once.
    expect(await sitesWithCode(code)).toBe(0);
    expect((await createSite(code)).statusCode).toBe(201);
    expect(await sitesWithCode(code)).toBe(1);
  }, 60_000);

  it('answers 503 to sign-in while Redis is unreachable, serves the rest, and recovers by itself', async () => {
    expect((await ready()).statusCode).toBe(200);
    redis.cut();
    const report = await eventually(
      async () => {
        const answer = await ready();
        return answer.statusCode === 503 ? answer : undefined;
      },
      20_000,
      200,
    );
    expect(report.json<{ detail: string }>().detail).toContain('redis');
    // As designed (README, Access): other routes go on without the rate limits; sign-in fails closed.
    expect((await get('/sites')).statusCode).toBe(200);
    const signIn = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: 'nobody@registry.test', password: 'not a password at all' },
    });
    expect({ status: signIn.statusCode, retryAfter: signIn.headers['retry-after'] }).toEqual({
      status: 503,
      retryAfter: '5',
    });

    redis.restore();
    await eventually(async () => ((await ready()).statusCode === 200 ? true : undefined), 30_000, 200);
    expect((await get('/sites')).statusCode).toBe(200);
  }, 60_000);
});
