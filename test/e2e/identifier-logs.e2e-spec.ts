import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
} from '../support/access.js';
import { eventually, sparePort } from '../support/apps.js';
import { enrol, enrolment, testNhsNumber } from '../support/patients.js';

interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  json<T = unknown>(): T;
}

/** The subset of `app.inject` the test helpers use, over real HTTP to a spawned api process. */
function overHttp(baseUrl: string): NestFastifyApplication {
  const inject = async (request: {
    method: string;
    url: string;
    payload?: unknown;
    headers?: Record<string, string>;
  }): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${request.url}`, {
      method: request.method,
      headers: {
        ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      body: request.payload === undefined ? undefined : JSON.stringify(request.payload),
    });
    const body = await response.text();
    return {
      statusCode: response.status,
      body,
      headers: Object.fromEntries(response.headers.entries()),
      json: <T>() => JSON.parse(body) as T,
    };
  };
  return { inject } as unknown as NestFastifyApplication;
}

/**
 * Issue 4: no identifier appears in the logs. The compiled api runs as a process at debug level, a nurse
 * goes through the identifier-heavy paths (enrolment, a refused duplicate, an invalid NHS number, searches,
 * identity read and correction, a decline), and everything the process wrote is searched for each
 * identifier, in every form it was sent in.
 */
describe('logs of an e2e run carry no patient identifier', () => {
  let api: ChildProcess;
  let output = '';
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const port = await sparePort();
    api = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    api.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const baseUrl = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        const live = await fetch(`${baseUrl}/health/live`).catch(() => null);
        return live?.ok ? true : undefined;
      },
      20_000,
      100,
    );
    app = overHttp(baseUrl);
  });

  afterAll(async () => {
    if (api.exitCode === null) {
      const exited = once(api, 'exit');
      api.kill('SIGTERM');
      await exited;
    }
  });

  it('never logs NHS numbers, names, dates of birth or contact details', async () => {
    const email = uniqueEmail('logs-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Log Hospital');
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
    const identity = {
      nhsNumber: testNhsNumber(),
      familyName: 'Zebedee-Quartermain',
      givenName: 'Philomena',
      dateOfBirth: '1958-09-23',
      phone: '+44 7700 900461',
      email: 'philomena.q@example.org',
      address: '12 Lighthouse Lane, Whitby',
      reminderChannel: 'email',
    };
    const patient = await enrol(app, nurse.accessToken, { identity });
    const headers = bearer(nurse.accessToken);
    const calls: Answer[] = [];
    const call = async (
      method: string,
      url: string,
      payload?: unknown,
      extra: Record<string, string> = {},
    ) => {
      const answer = (await app.inject({
        method: method as 'GET',
        url,
        payload: payload as Record<string, unknown>,
        headers: { ...headers, ...extra },
      })) as unknown as Answer;
      calls.push(answer);
      return answer;
    };
    // A duplicate, refused; an invalid NHS number, refused with its field.
    expect((await call('POST', '/patients', { ...enrolment(), identity })).statusCode).toBe(409);
    const invalid = `${identity.nhsNumber.slice(0, 9)}${(Number(identity.nhsNumber[9]) + 1) % 10}`;
    expect(
      (await call('POST', '/patients', { ...enrolment(), identity: { ...identity, nhsNumber: invalid } }))
        .statusCode,
    ).toBe(400);
    const spaced = `${identity.nhsNumber.slice(0, 3)} ${identity.nhsNumber.slice(3, 6)} ${identity.nhsNumber.slice(6)}`;
    expect((await call('POST', '/patients/search', { nhsNumber: spaced })).statusCode).toBe(200);
    expect(
      (
        await call('POST', '/patients/search', {
          familyName: identity.familyName,
          dateOfBirth: identity.dateOfBirth,
        })
      ).statusCode,
    ).toBe(200);
    const read = await call('GET', `/patients/${patient.id}/identity`);
    expect(read.statusCode).toBe(200);
    const corrected = await call(
      'PATCH',
      `/patients/${patient.id}/identity`,
      { phone: '+44 7700 900462', reason: 'new mobile number' },
      { 'if-match': read.headers.etag },
    );
    expect(corrected.statusCode).toBe(200);
    expect(
      (
        await call('POST', `/patients/${patient.id}/consent-events`, {
          kind: 'patient_declined',
          occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
        })
      ).statusCode,
    ).toBe(201);

    // The requests were logged (the capture works) …
    await eventually(() => Promise.resolve(output.includes('/patients/search') ? true : undefined), 5000);
    expect(output).toContain(patient.id);
    // … and none of the identifiers, in any form they were sent in.
    const secrets = [
      identity.nhsNumber,
      spaced,
      invalid,
      identity.familyName,
      identity.givenName,
      identity.dateOfBirth,
      identity.phone,
      '7700 900462',
      identity.email,
      'Lighthouse Lane',
    ];
    const leaked = secrets.filter((secret) => output.includes(secret));
    expect(leaked).toEqual([]);
  });
});
