import { randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import argon2 from 'argon2';
import { SignJWT, UnsecuredJWT } from 'jose';
import type pg from 'pg';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { deriveKey } from '../../libs/crypto/src/index.js';
import { createHttpApp } from '../../libs/observability/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  PASSWORD,
  signIn,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, startApi, testConfig } from '../support/apps.js';

describe('access: a new deployment, as its first users meet it', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let admin: SignedIn;

  beforeAll(async () => {
    app = await startApi();
    db = await connect('app');
    const email = uniqueEmail('admin');
    admin = await onboard(app, email, await createAdminWithCli(email));
  });

  afterAll(async () => {
    await db.end();
    await app.close();
  });

  async function meStatus(accessToken: string): Promise<number> {
    return (await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) })).statusCode;
  }

  const refreshWith = (refreshToken: string) =>
    app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });

  async function auditActions(entityId: string): Promise<string[]> {
    const { rows } = await db.query<{ action: string }>(
      `SELECT action FROM audit_event WHERE entity_id = $1 ORDER BY id`,
      [entityId],
    );
    return rows.map((r) => r.action);
  }

  it('walks through: admin from the command, a site and a nurse, then 401 / 403 / 404 where they belong', async () => {
    // The administrator (created by the command, password set with its one-time token, TOTP enrolled).
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(admin.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: admin.email, role: 'admin', mfaEnrolled: true, siteIds: [] });

    const north = await createSite(app, admin.accessToken, 'Northern General');
    const south = await createSite(app, admin.accessToken, 'Southern Royal');
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [north.id]);

    // 401: no token; 403: a nurse may not create sites; 404: the other site does not exist for the nurse.
    expect((await app.inject({ method: 'GET', url: '/sites' })).statusCode).toBe(401);
    const forbidden = await app.inject({
      method: 'POST',
      url: '/sites',
      headers: bearer(nurse.accessToken),
      payload: { code: 'XX1', name: 'Nope' },
    });
    expect(forbidden.statusCode).toBe(403);
    const own = await app.inject({
      method: 'GET',
      url: `/sites/${north.id}`,
      headers: bearer(nurse.accessToken),
    });
    expect(own.statusCode).toBe(200);
    const other = await app.inject({
      method: 'GET',
      url: `/sites/${south.id}`,
      headers: bearer(nurse.accessToken),
    });
    expect(other.statusCode).toBe(404);
    const list = await app.inject({ method: 'GET', url: '/sites', headers: bearer(nurse.accessToken) });
    expect(list.json<{ id: string }[]>().map((s) => s.id)).toEqual([north.id]);
    // The administrator sees both.
    const all = await app.inject({ method: 'GET', url: '/sites', headers: bearer(admin.accessToken) });
    expect(all.json<{ id: string }[]>().map((s) => s.id)).toEqual(
      expect.arrayContaining([north.id, south.id]),
    );
  });

  it('requires the second factor: a correct password alone gets no token', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: admin.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const body = login.json<Record<string, unknown>>();
    expect(body).toEqual({ status: 'mfa_required', mfaToken: expect.any(String) });
    // The MFA step token is not an access token.
    expect(
      (await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(body.mfaToken as string) }))
        .statusCode,
    ).toBe(401);
    const wrong = await app.inject({
      method: 'POST',
      url: '/auth/mfa/verify',
      payload: { mfaToken: body.mfaToken, code: '000000' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('accessToken');
  });

  /** The password step: a fresh MFA step token. */
  async function passwordStep(email: string, password = PASSWORD): Promise<string> {
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
    expect(login.statusCode).toBe(200);
    return login.json<{ mfaToken: string }>().mfaToken;
  }

  const verify = (mfaToken: string, code: string) =>
    app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfaToken, code } });

  it('forces enrolment at first sign-in and accepts each recovery code and TOTP code once', async () => {
    const user = await createUser(app, admin.accessToken, 'data_manager');
    expect(user.recoveryCodes).toHaveLength(10);
    const code = user.recoveryCodes[0];
    expect((await verify(await passwordStep(user.email), code)).statusCode).toBe(200);
    // The same recovery code, in a new sign-in: refused.
    const second = await passwordStep(user.email);
    expect((await verify(second, code)).statusCode).toBe(401);
    // A TOTP code is single use too: the one that confirmed enrolment is refused.
    expect((await verify(second, user.enrolmentCode)).statusCode).toBe(401);
    // The same sign-in still completes with an unused recovery code.
    expect((await verify(second, user.recoveryCodes[1])).statusCode).toBe(200);
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['mfa.enrolled', 'login.succeeded', 'mfa.recovery_code_used', 'login.failed']),
    );
  });

  it('lets an MFA step token complete one sign-in only, and a password reset cancel it', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const mfaToken = await passwordStep(user.email);
    expect((await verify(mfaToken, user.recoveryCodes[0])).statusCode).toBe(200);
    const replay = await verify(mfaToken, user.recoveryCodes[1]);
    expect(replay.statusCode).toBe(401);

    const pending = await passwordStep(user.email);
    const issued = await app.inject({
      method: 'POST',
      url: `/users/${user.id}/password-reset`,
      headers: bearer(admin.accessToken),
    });
    const reset = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token: issued.json<{ token: string }>().token, newPassword: 'a different long passphrase' },
    });
    expect(reset.statusCode).toBe(204);
    expect((await verify(pending, user.recoveryCodes[2])).statusCode).toBe(401);
  });

  it('changes a password: a wrong current one counts as a failure, other sessions end, this one goes on', async () => {
    const user = await createUser(app, admin.accessToken, 'data_manager');
    const other = await signIn(app, user.email, user.totpSecret, 1);
    const change = (currentPassword: string) =>
      app.inject({
        method: 'POST',
        url: '/auth/password',
        headers: bearer(user.accessToken),
        payload: { currentPassword, newPassword: 'my new long passphrase' },
      });
    const wrong = await change('not my password at all');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ errors: [{ field: 'currentPassword' }] });
    const { rows } = await db.query<{ failed_login_count: number }>(
      `SELECT failed_login_count FROM app_user WHERE id = $1`,
      [user.id],
    );
    expect(rows[0].failed_login_count).toBe(1);

    expect((await change(PASSWORD)).statusCode).toBe(204);
    expect(await meStatus(user.accessToken)).toBe(200);
    expect(await meStatus(other.accessToken)).toBe(401);
  });

  it('ends a session at SESSION_MAX_SECONDS after its sign-in, however often it was refreshed', async () => {
    const config = testConfig();
    const user = await createUser(app, admin.accessToken, 'auditor');
    const payload = JSON.parse(Buffer.from(user.refreshToken.split('.')[1], 'base64url').toString()) as {
      sub: string;
      jti: string;
      sid: string;
      auth_time: number;
      exp: number;
    };
    const now = Math.floor(Date.now() / 1000);
    // The user's own refresh token, as it would be after a long day of refreshes: signed in long ago.
    const aged = (authTime: number) =>
      new SignJWT({ sid: payload.sid, auth_time: authTime })
        .setProtectedHeader({ alg: 'HS256', typ: 'refresh+jwt' })
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setSubject(payload.sub)
        .setJti(payload.jti)
        .setIssuedAt(now - 60)
        .setExpirationTime(now + 600)
        .sign(deriveKey(config.JWT_SECRET!, 'ecmo-registry jwt hs256'));
    const tooOld = await refreshWith(await aged(now - config.SESSION_MAX_SECONDS - 1));
    expect(tooOld.statusCode).toBe(401);
    expect(tooOld.json<{ detail: string }>().detail).toMatch(/maximum length/);
    // Control: the same token two minutes before the limit is exchanged, for tokens that end with the session.
    const authTime = now - config.SESSION_MAX_SECONDS + 120;
    const fine = await refreshWith(await aged(authTime));
    expect(fine.statusCode).toBe(200);
    const claims = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
        exp: number;
        auth_time?: number;
      };
    const pair = fine.json<{ accessToken: string; refreshToken: string }>();
    expect(claims(pair.refreshToken)).toMatchObject({ auth_time: authTime });
    expect(claims(pair.refreshToken).exp).toBeLessThanOrEqual(authTime + config.SESSION_MAX_SECONDS);
    expect(claims(pair.accessToken).exp).toBeLessThanOrEqual(authTime + config.SESSION_MAX_SECONDS);
  });

  describe('JWT handling (RFC 8725)', () => {
    const config = testConfig();
    // Every forged token below belongs to the admin's live session, so the property under test is the only
    // thing wrong with it; `control` proves that the same token, properly made, is accepted.
    let subject: string;
    let sid: string;

    beforeAll(async () => {
      const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(admin.accessToken) });
      subject = me.json<{ id: string }>().id;
      sid = (
        JSON.parse(Buffer.from(admin.accessToken.split('.')[1], 'base64url').toString()) as { sid: string }
      ).sid;
    });

    async function status(token: string): Promise<number> {
      return await meStatus(token);
    }

    const rightKey = () => deriveKey(config.JWT_SECRET!, 'ecmo-registry jwt hs256');

    function token(
      overrides: { key?: Uint8Array; typ?: string; exp?: number; iss?: string; aud?: string } = {},
    ): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sid })
        .setProtectedHeader({ alg: 'HS256', typ: overrides.typ ?? 'at+jwt' })
        .setIssuer(overrides.iss ?? config.JWT_ISSUER)
        .setAudience(overrides.aud ?? config.JWT_AUDIENCE)
        .setSubject(subject)
        .setJti(randomUUID())
        .setIssuedAt(now - 120)
        .setExpirationTime(overrides.exp ?? now + 600)
        .sign(overrides.key ?? rightKey());
    }

    it('accepts the genuine access token, and a correctly made one (the control)', async () => {
      expect(await status(admin.accessToken)).toBe(200);
      expect(await status(await token())).toBe(200);
    });

    it('refuses alg none', async () => {
      const unsigned = new UnsecuredJWT({ sid })
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setSubject(subject)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('10m')
        .encode();
      expect(await status(unsigned)).toBe(401);
      // The same with an `at+jwt` header naming alg none.
      const [, body] = unsigned.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
      expect(await status(`${header}.${body}.`)).toBe(401);
    });

    it('refuses a token signed with another key', async () => {
      expect(await status(await token({ key: new TextEncoder().encode('x'.repeat(32)) }))).toBe(401);
    });

    it('refuses an expired token, a wrong issuer and a wrong audience', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(await status(await token({ exp: now - 60 }))).toBe(401);
      expect(await status(await token({ iss: 'someone-else' }))).toBe(401);
      expect(await status(await token({ aud: 'another-api' }))).toBe(401);
    });

    it('refuses a refresh token used as an access token', async () => {
      expect(await status(admin.refreshToken)).toBe(401);
      expect(await status(await token({ typ: 'refresh+jwt' }))).toBe(401);
    });

    it('refuses the token of a user who has been disabled', async () => {
      const nurseSite = await createSite(app, admin.accessToken, 'Disabled Test Site');
      const nurse = await createUser(app, admin.accessToken, 'research_nurse', [nurseSite.id]);
      expect(await status(nurse.accessToken)).toBe(200);
      const disable = await app.inject({
        method: 'POST',
        url: `/users/${nurse.id}/disable`,
        headers: bearer(admin.accessToken),
      });
      expect(disable.statusCode).toBe(200);
      expect(await status(nurse.accessToken)).toBe(401);
      const refreshed = await refreshWith(nurse.refreshToken);
      expect(refreshed.statusCode).toBe(401);
    });
  });

  it('rotates refresh tokens, and a reused one revokes its whole family', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const first = await refreshWith(user.refreshToken);
    expect(first.statusCode).toBe(200);
    const rotated = first.json<{ accessToken: string; refreshToken: string }>();
    expect(rotated.refreshToken).not.toBe(user.refreshToken);
    expect(await meStatus(rotated.accessToken)).toBe(200);

    // Someone replays the old token: refused, and every token of this sign-in dies with it.
    const replay = await refreshWith(user.refreshToken);
    expect(replay.statusCode).toBe(401);
    const next = await refreshWith(rotated.refreshToken);
    expect(next.statusCode).toBe(401);
    expect(await meStatus(rotated.accessToken)).toBe(401);
    expect(await auditActions(user.id)).toContain('token.reuse_detected');
  });

  it('signs out: the refresh token and its access tokens stop working', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const out = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      payload: { refreshToken: user.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect(await meStatus(user.accessToken)).toBe(401);
    const refreshed = await refreshWith(user.refreshToken);
    expect(refreshed.statusCode).toBe(401);
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['token.revoked', 'token.refresh_refused']),
    );
  });

  it('locks an account after repeated failures, and an administrator unlocks it', async () => {
    const user = await createUser(app, admin.accessToken, 'data_manager');
    const threshold = testConfig().LOCKOUT_THRESHOLD;
    for (let i = 0; i < threshold; i++) {
      const attempt = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: user.email, password: 'wrong password guess' },
      });
      expect(attempt.statusCode).toBe(401);
    }
    // Locked: even the right password gets no further, with the answer a wrong one gets (no oracle).
    const locked = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(locked.statusCode).toBe(401);
    expect(locked.json<{ detail: string }>().detail).toBe('Invalid e-mail, password or code');
    const { rows } = await db.query<{ locked: boolean }>(
      `SELECT locked_at IS NOT NULL AS locked FROM app_user WHERE id = $1`,
      [user.id],
    );
    expect(rows[0].locked).toBe(true);
    // Sessions of a locked account end too.
    expect(await meStatus(user.accessToken)).toBe(401);

    const unlock = await app.inject({
      method: 'POST',
      url: `/users/${user.id}/unlock`,
      headers: bearer(admin.accessToken),
    });
    expect(unlock.statusCode).toBe(200);
    expect(unlock.json()).toMatchObject({ locked: false });
    await signIn(app, user.email, user.totpSecret, 1);
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(['login.failed', 'account.locked', 'account.unlocked', 'login.succeeded']),
    );
  });

  it('resets a password with a one-time, expiring token that revokes the refresh tokens', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const issued = await app.inject({
      method: 'POST',
      url: `/users/${user.id}/password-reset`,
      headers: bearer(admin.accessToken),
    });
    expect(issued.statusCode).toBe(201);
    const { token } = issued.json<{ token: string }>();
    const newPassword = 'a brand new long passphrase';
    const reset = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token, newPassword },
    });
    expect(reset.statusCode).toBe(204);
    const refreshed = await refreshWith(user.refreshToken);
    expect(refreshed.statusCode).toBe(401);
    // Single use.
    const again = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token, newPassword: 'yet another long passphrase' },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ errors: [{ field: 'token' }] });
    expect(await auditActions(user.id)).toContain('password_reset.refused');
    // The new password works, the old one does not.
    const old = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    const fresh = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: newPassword },
    });
    expect(fresh.statusCode).toBe(200);

    // Expiry: a token whose time has passed is refused and changes nothing.
    const expiring = await app.inject({
      method: 'POST',
      url: `/users/${user.id}/password-reset`,
      headers: bearer(admin.accessToken),
    });
    const expired = expiring.json<{ token: string }>().token;
    const owner = await connect('owner');
    try {
      await owner.query(`SELECT set_config('registry.actor', 'test:clock', false)`);
      await owner.query(
        `UPDATE password_reset_token SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL`,
        [user.id],
      );
    } finally {
      await owner.end();
    }
    const late = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token: expired, newPassword: 'too late for this passphrase' },
    });
    expect(late.statusCode).toBe(400);
    const stillNew = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: newPassword },
    });
    expect(stillNew.statusCode).toBe(200);
  });

  it('upgrades a password hash made with older argon2 parameters at the next sign-in', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const weak = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    const owner = await connect('owner');
    try {
      await owner.query(`SELECT set_config('registry.actor', 'test:old-hash', false)`);
      await owner.query(`UPDATE app_user SET password_hash = $1 WHERE id = $2`, [weak, user.id]);
    } finally {
      await owner.end();
    }
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const { rows } = await db.query<{ password_hash: string }>(
      `SELECT password_hash FROM app_user WHERE id = $1`,
      [user.id],
    );
    const owasp = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
    expect(argon2.needsRehash(weak, owasp)).toBe(true);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(argon2.needsRehash(rows[0].password_hash, owasp)).toBe(false);
    expect(await argon2.verify(rows[0].password_hash, PASSWORD)).toBe(true);
    expect(await auditActions(user.id)).toContain('password.rehashed');
  });

  it('lets only the latest reset token work when an administrator issues another', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const issue = async () =>
      (
        await app.inject({
          method: 'POST',
          url: `/users/${user.id}/password-reset`,
          headers: bearer(admin.accessToken),
        })
      ).json<{ token: string }>().token;
    const first = await issue();
    const second = await issue();
    const reset = (token: string) =>
      app.inject({
        method: 'POST',
        url: '/auth/password/reset',
        payload: { token, newPassword: 'the latest passphrase' },
      });
    expect((await reset(first)).statusCode).toBe(400);
    expect((await reset(second)).statusCode).toBe(204);
  });

  it('refuses a weak new password with the field and the reason, and changes nothing', async () => {
    const user = await createUser(app, admin.accessToken, 'auditor');
    const issued = await app.inject({
      method: 'POST',
      url: `/users/${user.id}/password-reset`,
      headers: bearer(admin.accessToken),
    });
    const { token } = issued.json<{ token: string }>();
    const weak = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token, newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({
      errors: [{ field: 'newPassword', reason: 'must be at least 12 characters' }],
    });
    // The token was not spent by the refused attempt.
    const ok = await app.inject({
      method: 'POST',
      url: '/auth/password/reset',
      payload: { token, newPassword: 'long enough passphrase' },
    });
    expect(ok.statusCode).toBe(204);
  });

  it('issues API keys shown once, records their use, and revokes them', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: bearer(admin.accessToken),
      payload: { name: 'NICE audit exporter', roles: ['auditor'] },
    });
    expect(created.statusCode).toBe(201);
    const { apiKey, key } = created.json<{ apiKey: { id: string; lastUsedAt: null }; key: string }>();
    expect(key).toMatch(/^ecmo_ak_/);
    expect(apiKey.lastUsedAt).toBeNull();
    // Stored as a digest only; the listing never shows it.
    const listed = await app.inject({ method: 'GET', url: '/api-keys', headers: bearer(admin.accessToken) });
    expect(listed.body).not.toContain(key);
    const { rows } = await db.query<{ hex: string }>(
      `SELECT encode(secret_hash, 'hex') AS hex FROM api_key WHERE id = $1`,
      [apiKey.id],
    );
    expect(rows[0].hex).not.toContain(Buffer.from(key).toString('hex'));

    const use = await app.inject({ method: 'GET', url: '/sites', headers: bearer(key) });
    expect(use.statusCode).toBe(200);
    // An auditor key may not administer.
    const forbidden = await app.inject({ method: 'GET', url: '/users', headers: bearer(key) });
    expect(forbidden.statusCode).toBe(403);
    const after = await app.inject({ method: 'GET', url: '/api-keys', headers: bearer(admin.accessToken) });
    const listedKey = after
      .json<{ id: string; lastUsedAt: string | null }[]>()
      .find((k) => k.id === apiKey.id)!;
    expect(listedKey.lastUsedAt).not.toBeNull();
    expect(await auditActions(apiKey.id)).toEqual(
      expect.arrayContaining(['api_key.created', 'api_key.used']),
    );

    const revoke = await app.inject({
      method: 'POST',
      url: `/api-keys/${apiKey.id}/revoke`,
      headers: bearer(admin.accessToken),
    });
    expect(revoke.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/sites', headers: bearer(key) })).statusCode).toBe(401);
    expect(await auditActions(apiKey.id)).toContain('api_key.revoked');
  });

  it('refuses role, siteId, createdBy and other undeclared fields with 400, changing nothing', async () => {
    for (const extra of [
      { role: 'admin' },
      { siteId: '00000000-0000-4000-8000-000000000000' },
      { createdBy: 'x' },
    ]) {
      const code = `M${Math.floor(Math.random() * 1e6)}`;
      const response = await app.inject({
        method: 'POST',
        url: '/sites',
        headers: bearer(admin.accessToken),
        payload: { code, name: 'Mass assignment', ...extra },
      });
      expect(response.statusCode).toBe(400);
      const field = Object.keys(extra)[0];
      expect(response.json<{ errors: { field: string }[] }>().errors).toEqual([
        { field, reason: `property ${field} should not exist` },
      ]);
      const { rowCount } = await db.query(`SELECT 1 FROM site WHERE code = $1`, [code]);
      expect(rowCount).toBe(0);
    }
  });

  it("sets and removes a site's follow-up number (admin only, audited), refusing a bad one with the field", async () => {
    const site = await createSite(app, admin.accessToken, 'Phone Royal');
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
    const patch = (token: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PATCH', url: `/sites/${site.id}`, headers: bearer(token), payload });
    const stored = async () =>
      (
        await db.query<{ name: string; follow_up_phone: string | null }>(
          `SELECT name, follow_up_phone FROM site WHERE id = $1`,
          [site.id],
        )
      ).rows[0];

    const set = await patch(admin.accessToken, { followUpPhone: '+44 114 496 0000' });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ name: 'Phone Royal', followUpPhone: '+44 114 496 0000' });
    // The nurse reads it (their site) but may not change it.
    const read = await app.inject({
      method: 'GET',
      url: `/sites/${site.id}`,
      headers: bearer(nurse.accessToken),
    });
    expect(read.json()).toMatchObject({ followUpPhone: '+44 114 496 0000' });
    expect((await patch(nurse.accessToken, { followUpPhone: '0114 000 0000' })).statusCode).toBe(403);

    for (const [payload, field] of [
      [{ followUpPhone: 'call reception' }, 'followUpPhone'],
      [{ followUpPhone: '0114 496 0000 ' }, 'followUpPhone'],
      [{ followUpPhone: '12' }, 'followUpPhone'],
      [{ name: null }, 'name'],
      [{ name: '' }, 'name'],
    ] as const) {
      const refused = await patch(admin.accessToken, payload);
      expect(refused.statusCode).toBe(400);
      const fields = refused.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
      expect(new Set(fields)).toEqual(new Set([field]));
    }
    expect(await stored()).toEqual({ name: 'Phone Royal', follow_up_phone: '+44 114 496 0000' });

    const removed = await patch(admin.accessToken, { followUpPhone: null });
    expect(removed.json()).toMatchObject({ name: 'Phone Royal', followUpPhone: null });
    expect(await stored()).toEqual({ name: 'Phone Royal', follow_up_phone: null });
    const trail = await db.query<{ phone: string | null }>(
      `SELECT new_values->>'follow_up_phone' AS phone FROM audit_event
        WHERE entity_type = 'site' AND entity_id = $1 AND action = 'update' ORDER BY id`,
      [site.id],
    );
    expect(trail.rows.map((r) => r.phone)).toEqual(['+44 114 496 0000', null]);
  });

  it("records a site's NHS England region (admin only, audited), refusing one that is not a region", async () => {
    const site = await createSite(app, admin.accessToken, 'Region Royal');
    const patch = (payload: Record<string, unknown>) =>
      app.inject({ method: 'PATCH', url: `/sites/${site.id}`, headers: bearer(admin.accessToken), payload });
    expect((await patch({})).json()).toMatchObject({ region: null });
    const set = await patch({ region: 'north_east_and_yorkshire' });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ name: 'Region Royal', region: 'north_east_and_yorkshire' });
    const refused = await patch({ region: 'yorkshire' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(['region']);
    const created = await app.inject({
      method: 'POST',
      url: '/sites',
      headers: bearer(admin.accessToken),
      payload: {
        code: `R${Date.now().toString(36).toUpperCase().slice(-6)}`,
        name: 'Region General',
        region: 'london',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ region: 'london' });
    const trail = await db.query<{ region: string | null }>(
      `SELECT new_values->>'region' AS region FROM audit_event
        WHERE entity_type = 'site' AND entity_id = $1 AND action = 'update' ORDER BY id`,
      [site.id],
    );
    expect(trail.rows.map((r) => r.region)).toEqual(['north_east_and_yorkshire']);
  });

  it('records role and site changes in the audit trail with actor and address, and never a secret', async () => {
    const a = await createSite(app, admin.accessToken, 'Audit A');
    const b = await createSite(app, admin.accessToken, 'Audit B');
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [a.id]);
    // Signing in (password set, TOTP enrolled) saved the row: its updated_at moved without anyone setting it.
    const stamps = await db.query<{ moved: boolean }>(
      `SELECT updated_at > created_at AS moved FROM app_user WHERE id = $1`,
      [nurse.id],
    );
    expect(stamps.rows[0].moved).toBe(true);
    const change = await app.inject({
      method: 'PATCH',
      url: `/users/${nurse.id}`,
      headers: bearer(admin.accessToken),
      payload: { role: 'site_investigator', siteIds: [a.id, b.id] },
    });
    expect(change.statusCode).toBe(200);
    expect(change.json()).toMatchObject({ role: 'site_investigator', siteIds: [a.id, b.id].sort() });
    const { rows } = await db.query<{
      actor: string;
      action: string;
      client_address: string | null;
      details: unknown;
    }>(
      `SELECT actor, action, host(client_address) AS client_address, new_values AS details
         FROM audit_event WHERE entity_id = $1 AND action IN ('user.role_changed', 'user.sites_changed') ORDER BY id`,
      [nurse.id],
    );
    const adminId = (
      await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(admin.accessToken) })
    ).json<{
      id: string;
    }>().id;
    expect(rows).toEqual([
      {
        actor: `user:${adminId}`,
        action: 'user.role_changed',
        client_address: '127.0.0.1',
        details: { from: 'research_nurse', to: 'site_investigator' },
      },
      {
        actor: `user:${adminId}`,
        action: 'user.sites_changed',
        client_address: '127.0.0.1',
        details: { added: [b.id], removed: [] },
      },
    ]);
    // The row changes are there too, with the password hash and TOTP secret redacted.
    const secrets = await db.query<{ text: string }>(
      `SELECT coalesce(old_values::text, '') || coalesce(new_values::text, '') AS text FROM audit_event WHERE entity_type = 'app_user' AND entity_id = $1`,
      [nurse.id],
    );
    const trail = secrets.rows.map((r) => r.text).join('\n');
    expect(trail).toContain('[redacted');
    expect(trail).not.toMatch(/\$argon2id\$/);
    expect(trail).not.toContain(nurse.totpSecret);
  });

  it('takes the client address from X-Forwarded-For only when the listed proxy sends it', async () => {
    const proxied = await startApi({ TRUST_PROXY: '127.0.0.1' });
    try {
      const attempt = async (remoteAddress: string, forwardedFor: string) => {
        const response = await proxied.inject({
          method: 'POST',
          url: '/auth/login',
          remoteAddress,
          headers: { 'x-forwarded-for': forwardedFor },
          payload: { email: uniqueEmail('nobody'), password: 'not a password' },
        });
        expect(response.statusCode).toBe(401);
        const { rows } = await db.query<{ address: string }>(
          `SELECT host(client_address) AS address FROM audit_event WHERE request_id = $1 AND action = 'login.failed'`,
          [response.headers['x-request-id']],
        );
        return rows[0]?.address;
      };
      expect(await attempt('127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
      // A client that is not the proxy cannot choose its address.
      expect(await attempt('198.51.100.7', '203.0.113.10')).toBe('198.51.100.7');
    } finally {
      await proxied.close();
    }
  });

  it('limits each address across the whole api: the limit passes, then 429 with Retry-After', async () => {
    const limited = await startApi({ API_RATE_PER_ADDRESS: '6' });
    try {
      const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.8`;
      const answers = [];
      for (let i = 0; i < 8; i++)
        answers.push(await limited.inject({ method: 'GET', url: '/sites', remoteAddress: address }));
      expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
      expect(answers.map((a) => a.headers['x-ratelimit-remaining-api'])).toEqual([
        '5',
        '4',
        '3',
        '2',
        '1',
        '0',
        undefined,
        undefined,
      ]);
      expect(Number(answers[6].headers['retry-after-api'])).toBeGreaterThan(0);
      // The standard header too, and a detail a person can act on.
      expect(Number(answers[6].headers['retry-after'])).toBeGreaterThan(0);
      expect(answers[6].json()).toMatchObject({
        status: 429,
        detail: expect.stringMatching(
          /^Too many requests from this address \(6 a minute at most\): try again in \d+ seconds?$/,
        ),
      });
      // Another address is not limited by this one.
      const other = await limited.inject({ method: 'GET', url: '/sites', remoteAddress: '10.251.0.9' });
      expect(other.statusCode).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it('throttles sign-in per address and per account, across api processes (Redis)', async () => {
    const limits = { LOGIN_RATE_PER_ADDRESS: '4', LOGIN_RATE_PER_ACCOUNT: '3' };
    const [one, two] = [await startApi(limits), await startApi(limits)];
    try {
      const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;
      const attempt = (target: NestFastifyApplication, email: string, remoteAddress: string) =>
        target.inject({
          method: 'POST',
          url: '/auth/login',
          remoteAddress,
          payload: { email, password: 'nope nope nope' },
        });
      // Per address: four attempts at different accounts, spread over two processes, then 429.
      const codes = [];
      for (let i = 0; i < 5; i++)
        codes.push((await attempt(i % 2 ? one : two, uniqueEmail('nobody'), address)).statusCode);
      expect(codes).toEqual([401, 401, 401, 401, 429]);
      // Per account: three attempts at one account from different addresses, then 429.
      const email = uniqueEmail('target');
      const perAccount = [];
      for (let i = 0; i < 4; i++)
        perAccount.push(
          (await attempt(i % 2 ? one : two, email, `10.99.${i}.${Math.floor(Math.random() * 250)}`))
            .statusCode,
        );
      expect(perAccount).toEqual([401, 401, 401, 429]);
      const refused = await attempt(one, email, '10.98.0.1');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json().detail).toMatch(
        /^Too many sign-in attempts from this address or for this account: try again in \d+ seconds?$/,
      );
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('counts sign-ins per address and account apart when told to: a hospital behind one NAT address', async () => {
    const limited = await startApi({
      LOGIN_RATE_PER_ADDRESS: '3',
      LOGIN_RATE_PER_ACCOUNT: '2',
      LOGIN_RATE_ADDRESS_KEY: 'address_and_account',
    });
    try {
      const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.9`;
      const attempt = (email: string) =>
        limited.inject({
          method: 'POST',
          url: '/auth/login',
          remoteAddress: address,
          payload: { email, password: 'nope nope nope' },
        });
      // Six nurses of the hospital, one attempt each, from the one address: none is refused.
      const nurses = [];
      for (let i = 0; i < 6; i++) nurses.push((await attempt(uniqueEmail('nat'))).statusCode);
      expect(nurses).toEqual([401, 401, 401, 401, 401, 401]);
      // One account still has its own limit.
      const email = uniqueEmail('nat-target');
      const one = [];
      for (let i = 0; i < 3; i++) one.push((await attempt(email)).statusCode);
      expect(one).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('access: an app with a route that declares no roles', () => {
  /** A route that forgot to declare its access. */
  @Controller('forgotten')
  class ForgottenController {
    @Get()
    read() {
      return { leaked: true };
    }
  }

  it('refuses to start, naming the route', async () => {
    const config = testConfig();
    @Module({ imports: [ApiModule.forRoot(config)], controllers: [ForgottenController] })
    class ApiWithForgottenRoute {}
    const app = await createHttpApp(ApiWithForgottenRoute, config, { shutdownHooks: false });
    try {
      await expect(app.init()).rejects.toThrow(
        /GET \/forgotten \(ForgottenController\.read\) declares no roles/,
      );
    } finally {
      await app.close();
    }
  });
});
