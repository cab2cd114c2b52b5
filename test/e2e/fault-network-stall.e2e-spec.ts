import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PatientIdentities } from '../../libs/registry/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
} from '../support/access.js';
import { connect, eventually, startApi, testConfig } from '../support/apps.js';
import { enrolment } from '../support/patients.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Issue 7's fault injection: the network to PostgreSQL slowed down, then stalled (connections open, nothing
 * getting through, as when packets are lost), through a proxy of the test's own in front of the shared
 * server. Slow, the api still answers. Stalled, it answers 503 within its query timeout instead of hanging,
 * saves nothing it did not acknowledge (the stalled transaction's connection is dropped, so PostgreSQL rolls
 * it back), and serves again by itself once the network is back.
 */
describe('fault injection: the network to PostgreSQL slow, then stalled', () => {
  let app: NestFastifyApplication;
  let proxy: TcpProxy;
  let nurse: string;

  beforeAll(async () => {
    const config = testConfig();
    proxy = await new TcpProxy(Number(new URL(config.DATABASE_URL).port || 5432)).start();
    app = await startApi({
      DATABASE_URL: proxy.urlFor(config.DATABASE_URL),
      DATABASE_QUERY_TIMEOUT_MS: '1500',
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
      DATABASE_POOL_SIZE: '4',
    });
    const email = uniqueEmail('stall-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Stalled Heart');
    nurse = (await createUser(app, admin.accessToken, 'research_nurse', [site.id])).accessToken;
  }, 60_000);

  afterAll(async () => {
    proxy.resume();
    proxy.delay(0);
    await app.close();
    await proxy.stop();
  });

  const enrol = async () => {
    const body = enrolment();
    const response = await app.inject({
      method: 'POST',
      url: '/patients',
      headers: bearer(nurse),
      payload: body,
    });
    return { response, nhsNumber: (body.identity as { nhsNumber: string }).nhsNumber };
  };
  const enrolled = async (nhsNumbers: string[]) => {
    const identities = app.get(PatientIdentities);
    const db = await connect('owner');
    try {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM patient_key WHERE nhs_number_hash = ANY($1::bytea[])`,
        [nhsNumbers.map((n) => identities.nhsNumberHash(n))],
      );
      return rows[0].n;
    } finally {
      await db.end();
    }
  };

  it('slow (50 ms each way): still answers, and saves what it acknowledges', async () => {
    proxy.delay(50);
    try {
      const { response, nhsNumber } = await enrol();
      expect(response.statusCode).toBe(201);
      expect(await enrolled([nhsNumber])).toBe(1);
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      proxy.delay(0);
    }
  }, 30_000);

  it('stalled: 503 within the query timeout, nothing saved, and serves again by itself once it passes', async () => {
    expect((await enrol()).response.statusCode).toBe(201);
    proxy.stall();
    const attempts = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const { response, nhsNumber } = await enrol();
      attempts.push({
        status: response.statusCode,
        detail: response.json<{ detail: string }>().detail,
        nhsNumber,
      });
      // Not hung: the query timeout (1.5 s here), plus a rollback that is not waited for.
      expect(Date.now() - started).toBeLessThan(5000);
    }
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(attempts.every((a) => /nothing was changed/.test(a.detail))).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);

    proxy.resume();
    await eventually(
      async () =>
        (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200 ? true : undefined,
      20_000,
      200,
    );
    const after = await enrol();
    expect(after.response.statusCode).toBe(201);
    // What was held during the stall reached PostgreSQL afterwards, and still nothing of it was saved.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await enrolled(attempts.map((a) => a.nhsNumber))).toBe(0);
    expect(await enrolled([after.nhsNumber])).toBe(1);
  }, 60_000);
});
