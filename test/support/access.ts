import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { totpCode } from '../../libs/access/src/index.js';

const run = promisify(execFile);

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(label: string): string {
  return `${label}.${randomUUID().slice(0, 8)}@registry.test`;
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Runs the compiled `create-admin` command against this Jest worker's database; returns its token. */
export async function createAdminWithCli(email: string, name = 'Ada Admin'): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['dist/apps/cli/src/main.js', 'create-admin', '--email', email, '--name', name],
    { env: { ...process.env, LOG_LEVEL: 'silent' } },
  );
  const token = stdout.split('\n').find((line) => /^[A-Za-z0-9_-]{40,}$/.test(line.trim()));
  if (!token) throw new Error(`create-admin printed no token:\n${stdout}`);
  return token.trim();
}

export interface SignedIn {
  readonly email: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly totpSecret: string;
  readonly recoveryCodes: string[];
  /** The TOTP code that confirmed enrolment (a replay of it must fail). */
  readonly enrolmentCode: string;
}

/** Sets the first password with the one-time token, signs in and enrols TOTP, as a new user would. */
export async function onboard(
  app: NestFastifyApplication,
  email: string,
  setupToken: string,
): Promise<SignedIn> {
  const reset = await app.inject({
    method: 'POST',
    url: '/auth/password/reset',
    payload: { token: setupToken, newPassword: PASSWORD },
  });
  if (reset.statusCode !== 204) throw new Error(`password setup failed: ${reset.statusCode} ${reset.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: PASSWORD },
  });
  const step = login.json<{ status: string; mfaToken: string; totpSecret: string }>();
  if (step.status !== 'mfa_enrolment_required') throw new Error(`unexpected login step: ${login.body}`);
  const enrolmentCode = totpCode(step.totpSecret);
  const enrol = await app.inject({
    method: 'POST',
    url: '/auth/mfa/enrol',
    payload: { mfaToken: step.mfaToken, code: enrolmentCode },
  });
  if (enrol.statusCode !== 200) throw new Error(`enrolment failed: ${enrol.statusCode} ${enrol.body}`);
  const tokens = enrol.json<{ accessToken: string; refreshToken: string; recoveryCodes: string[] }>();
  return { email, totpSecret: step.totpSecret, enrolmentCode, ...tokens };
}

/**
 * A later sign-in with password and TOTP. Each time step's code is accepted once per user, so `stepsAhead`
 * lets a test sign the same user in again within 30 s (the server accepts one step of drift).
 */
export async function signIn(
  app: NestFastifyApplication,
  email: string,
  totpSecret: string,
  stepsAhead = 0,
): Promise<{ accessToken: string; refreshToken: string }> {
  const login = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password: PASSWORD },
  });
  const { mfaToken } = login.json<{ mfaToken: string }>();
  const verify = await app.inject({
    method: 'POST',
    url: '/auth/mfa/verify',
    payload: { mfaToken, code: totpCode(totpSecret, Date.now() + stepsAhead * 30_000) },
  });
  if (verify.statusCode !== 200) throw new Error(`sign-in failed: ${verify.statusCode} ${verify.body}`);
  return verify.json();
}

export async function createSite(app: NestFastifyApplication, adminToken: string, name: string) {
  const code = `S${randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase()}`;
  const response = await app.inject({
    method: 'POST',
    url: '/sites',
    headers: bearer(adminToken),
    payload: { code, name },
  });
  if (response.statusCode !== 201) throw new Error(`site creation failed: ${response.body}`);
  return response.json<{ id: string; code: string; name: string }>();
}

/** An administrator creates a user; the user onboards with the token they were given. */
export async function createUser(
  app: NestFastifyApplication,
  adminToken: string,
  role: string,
  siteIds: string[] = [],
): Promise<SignedIn & { id: string }> {
  const email = uniqueEmail(role);
  const response = await app.inject({
    method: 'POST',
    url: '/users',
    headers: bearer(adminToken),
    payload: { email, displayName: `Test ${role}`, role, ...(siteIds.length > 0 ? { siteIds } : {}) },
  });
  if (response.statusCode !== 201)
    throw new Error(`user creation failed: ${response.statusCode} ${response.body}`);
  const created = response.json<{ user: { id: string }; passwordSetup: { token: string } }>();
  return { id: created.user.id, ...(await onboard(app, email, created.passwordSetup.token)) };
}
