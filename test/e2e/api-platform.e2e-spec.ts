import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startApi } from '../support/apps.js';

describe('api platform: health, docs, metrics, errors, request ids', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApi();
  });

  afterAll(async () => {
    await app.close();
  });

  it('is live, and ready when PostgreSQL and Redis answer', async () => {
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('serves the OpenAPI 3 document and the docs page', async () => {
    const json = await app.inject({ method: 'GET', url: '/api/docs-json' });
    expect(json.statusCode).toBe(200);
    const document = json.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/auth/login', '/sites/{siteId}', '/users']),
    );
    // Request bodies are described, so clients (the data-entry application to come) can be generated.
    const schemas = (
      document as unknown as { components: { schemas: Record<string, { properties: object }> } }
    ).components.schemas;
    expect(Object.keys(schemas.LoginDto.properties)).toEqual(['email', 'password']);
    expect(schemas.CreateUserDto.properties).toMatchObject({
      role: { enum: expect.arrayContaining(['admin']) },
    });
    // The api serves the operations of the committed document (openapi.json, written by `npm run openapi`
    // and diffed in the test command from the compiled code; under Jest, Terminus cannot load the swagger
    // package to describe its health answers, so only the operations are compared here), and every
    // operation says what it does and the problem details it can answer.
    const committed = JSON.parse(readFileSync('openapi.json', 'utf8')) as typeof document;
    const summaries = (d: typeof document) =>
      Object.entries(d.paths as Record<string, Record<string, { summary?: string }>>).flatMap(
        ([path, item]) => Object.entries(item).map(([method, o]) => `${method} ${path}: ${o.summary}`),
      );
    expect(summaries(document)).toEqual(summaries(committed));
    const operations = Object.values(
      document.paths as Record<
        string,
        Record<string, { summary?: string; responses: Record<string, unknown> }>
      >,
    ).flatMap((item) => Object.values(item));
    expect(operations.length).toBeGreaterThan(70);
    expect(operations.filter((o) => !o.summary)).toEqual([]);
    expect(operations.filter((o) => !o.responses['503'])).toEqual([]);
    const page = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
  });

  it('exposes Prometheus metrics with HTTP latency by route template and BullMQ queue counts', async () => {
    await app.inject({ method: 'GET', url: '/health/live' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} \d+/,
    );
    expect(metrics.body).toMatch(/bullmq_jobs\{queue="maintenance",state="waiting"\} \d+/);
  });

  it('sends the same security headers (helmet) on every answer, refusals included', async () => {
    const securityHeaders = (headers: Record<string, unknown>) =>
      Object.fromEntries(
        [
          'content-security-policy',
          'strict-transport-security',
          'x-content-type-options',
          'x-frame-options',
          'referrer-policy',
          'cross-origin-opener-policy',
        ].map((name) => [name, headers[name]]),
      );
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    expect(live.headers['x-content-type-options']).toBe('nosniff');
    expect(live.headers['content-security-policy']).toContain("default-src 'self'");
    expect(live.headers['content-security-policy']).toContain("script-src 'self'");
    expect(live.headers['x-frame-options']).toBe('SAMEORIGIN');
    const answers = await Promise.all([
      app.inject({ method: 'GET', url: '/no-such-route' }),
      app.inject({ method: 'GET', url: '/patients' }),
      app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: '{',
        headers: { 'content-type': 'application/json' },
      }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([404, 401, 400]);
    for (const answer of answers)
      expect(securityHeaders(answer.headers)).toEqual(securityHeaders(live.headers));
  });

  it('keeps a well-formed caller request id and replaces a malformed one', async () => {
    const kept = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'trace-1234abcd' },
    });
    expect(kept.headers['x-request-id']).toBe('trace-1234abcd');
    const replaced = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\nwith newline' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a 404 problem-details body carrying the request id', async () => {
    const response = await app.inject({ method: 'GET', url: '/no-such-route?nhs=9990000018' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      status: 404,
      title: 'Not Found',
      instance: '/no-such-route',
      requestId: response.headers['x-request-id'],
    });
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/health/live',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
  });
});

describe('api readiness while Redis is unreachable', () => {
  it('answers 503 naming Redis as down, while liveness stays 200', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const app = await startApi({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 503,
        detail: 'Not ready: redis down',
        health: { status: 'error', details: { redis: { status: 'down' }, database: { status: 'up' } } },
      });
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      // Rate limits live in Redis: sign-in fails closed, other routes go on (here: to the 401 of no token).
      const login = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'someone@registry.test', password: 'whatever it is' },
      });
      expect(login.statusCode).toBe(503);
      expect((await app.inject({ method: 'GET', url: '/sites' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
