import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { totpCode } from '../../libs/access/src/auth/totp.js';
import { BENCH_DIST } from '../lib/environment.js';

const run = promisify(execFile);

/** The benchmark users' password (the policy's length and strength; never a real credential). */
export const PASSWORD = `bench ${randomUUID()} correct horse`;

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: ${status} ${body.slice(0, 600)}`);
  }
}

/** A minimal JSON client of the api, as a browser or an integration would call it (set-up only, not load). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T>(method: string, path: string, body?: unknown, expected = [200, 201, 204]): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new HttpError(method, path, response.status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown, expected = [200, 201, 204]): Promise<T> {
    return this.request<T>('POST', path, body, expected);
  }
}

/** Runs the compiled `create-admin` command against the benchmark's database; returns the one-time token. */
export async function createAdmin(env: Record<string, string>, email: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [`${BENCH_DIST}/apps/cli/src/main.js`, 'create-admin', '--email', email, '--name', 'Bench Admin'],
    { env: { ...env, LOG_LEVEL: 'silent' } },
  );
  const token = stdout.split('\n').find((line) => /^[A-Za-z0-9_-]{40,}$/.test(line.trim()));
  if (!token) throw new Error(`create-admin printed no token:\n${stdout}`);
  return token.trim();
}

/**
 * A new user's first sign-in, as a person does it: the first password with the one-time token, the password
 * step, then enrolment of an authenticator app (TOTP). Returns the access token.
 */
export async function onboard(api: ApiClient, email: string, setupToken: string): Promise<string> {
  return (await onboardWithSecret(api, email, setupToken)).accessToken;
}

/** `onboard`, answering the authenticator's secret too (for a later sign-in, the web app's). */
export async function onboardWithSecret(
  api: ApiClient,
  email: string,
  setupToken: string,
): Promise<{ accessToken: string; totpSecret: string }> {
  await api.post('/auth/password/reset', { token: setupToken, newPassword: PASSWORD }, [204]);
  const step = await api.post<{ status: string; mfaToken: string; totpSecret: string }>(
    '/auth/login',
    { email, password: PASSWORD },
    [200],
  );
  if (step.status !== 'mfa_enrolment_required') {
    throw new Error(`unexpected sign-in step ${step.status} for ${email}`);
  }
  const tokens = await api.post<{ accessToken: string }>(
    '/auth/mfa/enrol',
    { mfaToken: step.mfaToken, code: totpCode(step.totpSecret) },
    [200],
  );
  return { accessToken: tokens.accessToken, totpSecret: step.totpSecret };
}

export interface BenchUsers {
  readonly site: { id: string; code: string; name: string };
  readonly adminToken: string;
  /** A research nurse of the site: the role the load runs as. */
  readonly nurseToken: string;
  readonly nurseEmail: string;
  /** The nurse's authenticator secret (the web app's sign-in). */
  readonly nurseTotpSecret: string;
}

/** The first administrator (CLI), who creates a site and a research nurse of it; both sign in with MFA. */
export async function createUsers(api: ApiClient, env: Record<string, string>): Promise<BenchUsers> {
  const suffix = randomUUID().slice(0, 8);
  const adminEmail = `bench.admin.${suffix}@registry.test`;
  const adminToken = await onboard(api, adminEmail, await createAdmin(env, adminEmail));
  const admin = api.as(adminToken);
  const site = await admin.post<{ id: string; code: string; name: string }>(
    '/sites',
    {
      code: `B${suffix
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '0')
        .slice(0, 8)}`,
      name: 'Benchmark Hospital',
    },
    [201],
  );
  const nurseEmail = `bench.nurse.${suffix}@registry.test`;
  const created = await admin.post<{ passwordSetup: { token: string } }>(
    '/users',
    { email: nurseEmail, displayName: 'Bench Nurse', role: 'research_nurse', siteIds: [site.id] },
    [201],
  );
  const nurse = await onboardWithSecret(api, nurseEmail, created.passwordSetup.token);
  return {
    site,
    adminToken,
    nurseToken: nurse.accessToken,
    nurseEmail,
    nurseTotpSecret: nurse.totpSecret,
  };
}
