import { randomUUID } from 'node:crypto';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { AppConfig } from '../../../config/src/index.js';
import { applyAuditContext, type AuditContext, TransactionService } from '../../../database/src/index.js';
import { ValidationProblem } from '../../../observability/src/index.js';
import type { AppUser } from '../entities.js';
import { PasswordHasher, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-hasher.js';
import { decrypt, deriveKey, digest, encrypt } from '../../../crypto/src/index.js';
import { InvalidToken, TokenSigner } from './token-signer.js';
import { acceptTotp, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, totpUri } from './totp.js';
import { findUser, lockUser, spendOutstandingPasswordTokens } from '../users/users.queries.js';
import {
  countLiveRecoveryCodes,
  findRefreshToken,
  findUserOrFail,
  insertRecoveryCodes,
  insertRefreshToken,
  lockPasswordResetToken,
  lockRefreshToken,
  lockUserByEmail,
  revokeFamily,
  revokeLiveTokens,
  saveRefreshToken,
  saveUser,
  supersedeRecoveryCodes,
  useRecoveryCode,
} from './auth.queries.js';

/** How long the password step stays valid for the TOTP step. */
export const MFA_STEP_TTL_SECONDS = 300;

export interface TokenPair {
  readonly tokenType: 'Bearer';
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: string;
}

export type PasswordStepResult =
  | { readonly status: 'mfa_required'; readonly mfaToken: string }
  | {
      readonly status: 'mfa_enrolment_required';
      readonly mfaToken: string;
      /** Base32 secret, for typing into an authenticator app. */
      readonly totpSecret: string;
      readonly otpauthUri: string;
    };

/** A sign-in failure, said the same way whatever the cause, so an account cannot be probed. */
const BAD_CREDENTIALS = 'Invalid e-mail, password or code';

type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Sign-in (password, then TOTP or a recovery code, enrolment forced at the first sign-in), refresh-token
 * rotation with reuse detection, sign-out and password reset with an administrator's one-time token.
 *
 * A failure is committed (failed-attempt count, lock, audit event) before the 401 is thrown: the rejection
 * must not roll back the record of the attempt.
 */
@Injectable()
export class AuthService {
  private readonly signer: TokenSigner;
  private readonly totpKey: Buffer;
  readonly passwords = new PasswordHasher();

  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionService,
    private readonly audit: AuditService,
  ) {
    if (!config.JWT_SECRET || !config.MFA_ENCRYPTION_KEY) {
      throw new Error(
        'JWT_SECRET and MFA_ENCRYPTION_KEY must be set (run `npm run db:setup` on a development machine)',
      );
    }
    this.signer = new TokenSigner({
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    this.totpKey = deriveKey(config.MFA_ENCRYPTION_KEY, 'ecmo-registry totp secret');
  }

  get tokens(): TokenSigner {
    return this.signer;
  }

  async passwordStep(email: string, password: string, context: AuditContext): Promise<PasswordStepResult> {
    const outcome = await this.transactions.run(context, async (em): Promise<Outcome<PasswordStepResult>> => {
      const user = await lockUserByEmail(em, email.trim().toLowerCase());
      const passwordOk = await this.passwords.verify(user?.passwordHash ?? null, password);
      if (!user) {
        await this.audit.record(em, context, {
          action: 'login.failed',
          details: { reason: 'unknown_account' },
        });
        return { ok: false, message: BAD_CREDENTIALS };
      }
      const refusal = await this.refuseInactive(em, context, user);
      if (refusal) return refusal;
      if (!passwordOk) return this.failAttempt(em, context, user, 'wrong_password');

      if (this.passwords.needsRehash(user.passwordHash!)) {
        user.passwordHash = await this.passwords.hash(password);
        await this.audit.record(em, context, userEvent('password.rehashed', user));
      }
      const enrolled = user.totpSecret !== null;
      let pendingSecret: string | null = null;
      if (!enrolled) {
        pendingSecret = newTotpSecret();
        user.totpPendingSecret = encrypt(this.totpKey, pendingSecret, user.id);
      }
      // One sign-in at a time: this challenge replaces any earlier one, and only its token completes it.
      user.mfaChallenge = randomUUID();
      await saveUser(em, user);
      const { token } = await this.signer.sign(
        'mfa',
        user.id,
        MFA_STEP_TTL_SECONDS,
        { stage: enrolled ? 'verify' : 'enrol' },
        user.mfaChallenge,
      );
      await this.audit.record(em, context, userEvent('login.password_accepted', user));
      if (enrolled) return { ok: true, value: { status: 'mfa_required', mfaToken: token } };
      return {
        ok: true,
        value: {
          status: 'mfa_enrolment_required',
          mfaToken: token,
          totpSecret: pendingSecret!,
          otpauthUri: totpUri(pendingSecret!, user.email),
        },
      };
    });
    return unwrap(outcome);
  }

  /** Second step: a TOTP code or an unused recovery code. */
  async verifySecondFactor(mfaToken: string, code: string, context: AuditContext): Promise<TokenPair> {
    const { userId, challenge } = await this.mfaSubject(mfaToken, 'verify');
    const outcome = await this.transactions.run(context, async (em): Promise<Outcome<TokenPair>> => {
      const user = await lockUser(em, userId);
      if (!user || user.totpSecret === null || user.mfaChallenge !== challenge) {
        return { ok: false, message: 'This sign-in is over: start again with your password' };
      }
      const refusal = await this.refuseInactive(em, context, user);
      if (refusal) return refusal;

      let method: 'totp' | 'recovery_code';
      const step = acceptTotp(
        decrypt(this.totpKey, user.totpSecret, user.id),
        code.trim(),
        numberOrNull(user.totpLastStep),
      );
      if (step !== null) {
        method = 'totp';
        user.totpLastStep = String(step);
      } else if (await this.acceptRecoveryCode(em, user.id, code)) {
        method = 'recovery_code';
        const left = await countLiveRecoveryCodes(em, user.id);
        await this.audit.record(em, context, userEvent('mfa.recovery_code_used', user, { remaining: left }));
      } else {
        return this.failAttempt(em, context, user, 'wrong_code');
      }
      const pair = await this.completeSignIn(em, context, user, method);
      return { ok: true, value: pair };
    });
    return unwrap(outcome);
  }

  /** First sign-in: confirms the authenticator app with a code, then hands out the recovery codes once. */
  async enrolSecondFactor(
    mfaToken: string,
    code: string,
    context: AuditContext,
  ): Promise<TokenPair & { recoveryCodes: string[] }> {
    const { userId, challenge } = await this.mfaSubject(mfaToken, 'enrol');
    const outcome = await this.transactions.run(
      context,
      async (em): Promise<Outcome<TokenPair & { recoveryCodes: string[] }>> => {
        const user = await lockUser(em, userId);
        if (
          !user ||
          user.totpPendingSecret === null ||
          user.totpSecret !== null ||
          user.mfaChallenge !== challenge
        ) {
          return { ok: false, message: 'This sign-in is over: start again with your password' };
        }
        const refusal = await this.refuseInactive(em, context, user);
        if (refusal) return refusal;
        const step = acceptTotp(decrypt(this.totpKey, user.totpPendingSecret, user.id), code.trim(), null);
        if (step === null) return this.failAttempt(em, context, user, 'wrong_enrolment_code');
        const asUser = await actAsUser(em, context, user.id);

        user.totpSecret = user.totpPendingSecret;
        user.totpPendingSecret = null;
        user.totpEnrolledAt = new Date();
        user.totpLastStep = String(step);
        const recoveryCodes = await this.replaceRecoveryCodes(em, user.id);
        const pair = await this.completeSignIn(em, asUser, user, 'totp');
        await this.audit.record(em, asUser, userEvent('mfa.enrolled', user));
        return { ok: true, value: { ...pair, recoveryCodes } };
      },
    );
    return unwrap(outcome);
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: presenting a used one means it was
   * copied, so the whole family (every token descended from that sign-in) is revoked (RFC 9700 §4.14.2).
   */
  async refresh(refreshToken: string, context: AuditContext): Promise<TokenPair> {
    const verified = await this.verifyOr401('refresh', refreshToken);
    const outcome = await this.transactions.run(context, async (em): Promise<Outcome<TokenPair>> => {
      const row = await lockRefreshToken(em, verified.tokenId);
      if (!row || row.userId !== verified.subject || row.revokedAt !== null) {
        // A validly signed token that is no longer good: a stale client, or someone replaying a stolen one.
        await this.audit.record(em, context, {
          action: 'token.refresh_refused',
          entityType: 'app_user',
          entityId: verified.subject,
          details: { reason: row ? 'revoked' : 'unknown', tokenId: verified.tokenId },
        });
        return { ok: false, message: 'Refresh token revoked or unknown' };
      }
      if (row.usedAt !== null) {
        // Whoever presents a used token may be the thief: the revocation is recorded as the caller's (anonymous).
        await revokeFamily(em, row.familyId, 'reuse_detected');
        await this.audit.record(em, context, {
          action: 'token.reuse_detected',
          entityType: 'app_user',
          entityId: row.userId,
          details: { familyId: row.familyId, tokenId: row.id },
        });
        return { ok: false, message: 'Refresh token already used: every session of this sign-in is revoked' };
      }
      const user = await findUser(em, row.userId);
      if (!user || user.disabledAt !== null || user.lockedAt !== null) {
        return { ok: false, message: 'Account disabled or locked' };
      }
      const authTime = verified.claims.auth_time;
      if (typeof authTime !== 'number' || authTime + this.config.SESSION_MAX_SECONDS <= Date.now() / 1000) {
        return { ok: false, message: 'The session reached its maximum length: sign in again' };
      }
      await actAsUser(em, context, user.id);
      row.usedAt = new Date();
      await saveRefreshToken(em, row);
      const pair = await this.issuePair(em, user.id, row.familyId, authTime);
      return { ok: true, value: pair };
    });
    return unwrap(outcome);
  }

  /** Sign-out: revokes the refresh token's family, which also ends its access tokens (see the guard). */
  async signOut(refreshToken: string, context: AuditContext): Promise<void> {
    const verified = await this.verifyOr401('refresh', refreshToken);
    const asUser = { ...context, actor: `user:${verified.subject}` };
    await this.transactions.run(asUser, async (em) => {
      const row = await findRefreshToken(em, verified.tokenId);
      if (!row || row.userId !== verified.subject) return;
      await this.endSession(em, asUser, row.userId, row.familyId);
    });
  }

  /** Ends one sign-in (refresh-token family) of a user, audited; nothing happens if it has ended already. */
  async endSession(
    em: EntityManager,
    context: AuditContext,
    userId: string,
    familyId: string,
  ): Promise<void> {
    const revoked = await revokeFamily(em, familyId, 'logout');
    if (revoked > 0) {
      await this.audit.record(em, context, {
        action: 'token.revoked',
        entityType: 'app_user',
        entityId: userId,
        details: { reason: 'logout', familyId },
      });
    }
  }

  /** Sets a password with an administrator's one-time token; ends every session of the user. */
  async resetPassword(token: string, newPassword: string, context: AuditContext): Promise<void> {
    const outcome = await this.transactions.run(context, async (em): Promise<Outcome<void>> => {
      const row = await lockPasswordResetToken(em, digest(token));
      if (!row || row.usedAt !== null || row.expiresAt.getTime() <= Date.now()) {
        const reason = !row ? 'unknown' : row.usedAt !== null ? 'used' : 'expired';
        await this.audit.record(em, context, {
          action: 'password_reset.refused',
          entityType: row ? 'app_user' : undefined,
          entityId: row?.userId,
          details: { reason },
        });
        return { ok: false, message: 'token' };
      }
      const user = await findUserOrFail(em, row.userId);
      assertPasswordPolicy(newPassword, user.email, 'newPassword');
      const ctx = await actAsUser(em, context, user.id);
      user.passwordHash = await this.passwords.hash(newPassword);
      user.passwordChangedAt = new Date();
      user.failedLoginCount = 0;
      user.lockedAt = null;
      user.mfaChallenge = null;
      await saveUser(em, user);
      // Every other outstanding token of the user is spent too: one reset, one way in.
      await spendOutstandingPasswordTokens(em, user.id);
      await this.revokeAllSessions(em, ctx, user.id, 'password_reset');
      await this.audit.record(em, ctx, userEvent('password.reset', user, { tokenId: row.id }));
      return { ok: true, value: undefined };
    });
    if (!outcome.ok) {
      throw new ValidationProblem([
        { field: 'token', reason: 'is invalid, already used or expired: ask an administrator for a new one' },
      ]);
    }
  }

  /**
   * A signed-in user changes their own password, proving the current one. A wrong current password counts
   * as a failed sign-in (towards the lockout), so a stolen session cannot be used to guess the password;
   * every other session of the user ends, this one goes on.
   */
  async changePassword(
    userId: string,
    sessionId: string | undefined,
    currentPassword: string,
    newPassword: string,
    context: AuditContext,
  ): Promise<void> {
    const outcome = await this.transactions.run(context, async (em): Promise<Outcome<void>> => {
      const user = await lockUser(em, userId);
      if (!user) return { ok: false, message: 'currentPassword' };
      if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
        return this.failAttempt(em, context, user, 'wrong_current_password');
      }
      assertPasswordPolicy(newPassword, user.email, 'newPassword');
      user.passwordHash = await this.passwords.hash(newPassword);
      user.passwordChangedAt = new Date();
      user.failedLoginCount = 0;
      user.mfaChallenge = null;
      await saveUser(em, user);
      await this.revokeAllSessions(em, context, user.id, 'password_changed', sessionId);
      await this.audit.record(em, context, userEvent('password.changed', user));
      return { ok: true, value: undefined };
    });
    if (!outcome.ok) {
      throw new ValidationProblem([{ field: 'currentPassword', reason: 'is not your current password' }]);
    }
  }

  /** Revokes every live refresh token of a user (and so their access tokens); returns how many. */
  async revokeAllSessions(
    em: EntityManager,
    context: AuditContext,
    userId: string,
    reason: string,
    exceptSessionId?: string,
  ): Promise<number> {
    const count = await revokeLiveTokens(em, { userId, exceptSessionId }, reason);
    if (count > 0) {
      await this.audit.record(em, context, {
        action: 'token.revoked',
        entityType: 'app_user',
        entityId: userId,
        details: { reason, tokens: count },
      });
    }
    return count;
  }

  private async completeSignIn(
    em: EntityManager,
    context: AuditContext,
    user: AppUser,
    method: 'totp' | 'recovery_code',
  ): Promise<TokenPair> {
    const ctx = await actAsUser(em, context, user.id);
    user.mfaChallenge = null;
    user.failedLoginCount = 0;
    user.lastLoginAt = new Date();
    await saveUser(em, user);
    const pair = await this.issuePair(em, user.id, randomUUID(), Math.floor(Date.now() / 1000));
    await this.audit.record(em, ctx, userEvent('login.succeeded', user, { method }));
    return pair;
  }

  /**
   * A pair for a sign-in (family) that began at `authTime` (epoch seconds). The refresh token never outlives
   * SESSION_MAX_SECONDS after the sign-in, however often it is used (ASVS V3.3: an absolute session limit).
   */
  private async issuePair(
    em: EntityManager,
    userId: string,
    familyId: string,
    authTime: number,
  ): Promise<TokenPair> {
    const now = Math.floor(Date.now() / 1000);
    const sessionLeft = authTime + this.config.SESSION_MAX_SECONDS - now;
    const access = await this.signer.sign(
      'access',
      userId,
      Math.min(this.config.ACCESS_TOKEN_TTL_SECONDS, sessionLeft),
      { sid: familyId },
    );
    const refresh = await this.signer.sign(
      'refresh',
      userId,
      Math.min(this.config.REFRESH_TOKEN_TTL_SECONDS, sessionLeft),
      { sid: familyId, auth_time: authTime },
    );
    await insertRefreshToken(em, { id: refresh.tokenId, familyId, userId, expiresAt: refresh.expiresAt });
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt.toISOString(),
    };
  }

  /**
   * Disabled and locked accounts get no further, with the same answer as a wrong password: telling a locked
   * account's right password apart would let guessing go on after the lock.
   */
  private async refuseInactive(
    em: EntityManager,
    context: AuditContext,
    user: AppUser,
  ): Promise<Outcome<never> | null> {
    if (user.disabledAt !== null) {
      await this.audit.record(em, context, userEvent('login.failed', user, { reason: 'disabled' }));
      return { ok: false, message: BAD_CREDENTIALS };
    }
    if (user.lockedAt !== null) {
      await this.audit.record(em, context, userEvent('login.failed', user, { reason: 'locked' }));
      return { ok: false, message: BAD_CREDENTIALS };
    }
    return null;
  }

  private async failAttempt(
    em: EntityManager,
    context: AuditContext,
    user: AppUser,
    reason: string,
  ): Promise<Outcome<never>> {
    user.failedLoginCount += 1;
    const locks = user.failedLoginCount >= this.config.LOCKOUT_THRESHOLD;
    if (locks) user.lockedAt = new Date();
    await saveUser(em, user);
    await this.audit.record(
      em,
      context,
      userEvent('login.failed', user, { reason, failures: user.failedLoginCount }),
    );
    if (locks) {
      await this.audit.record(
        em,
        context,
        userEvent('account.locked', user, { failures: user.failedLoginCount }),
      );
    }
    return { ok: false, message: BAD_CREDENTIALS };
  }

  private async acceptRecoveryCode(em: EntityManager, userId: string, code: string): Promise<boolean> {
    const normalised = normaliseRecoveryCode(code);
    if (!/^[0-9a-z]{16}$/.test(normalised)) return false;
    return useRecoveryCode(em, userId, digest(normalised));
  }

  async replaceRecoveryCodes(em: EntityManager, userId: string): Promise<string[]> {
    await supersedeRecoveryCodes(em, userId);
    const codes = newRecoveryCodes();
    await insertRecoveryCodes(
      em,
      userId,
      codes.map((code) => digest(normaliseRecoveryCode(code))),
    );
    return codes;
  }

  private async mfaSubject(
    mfaToken: string,
    stage: 'verify' | 'enrol',
  ): Promise<{ userId: string; challenge: string }> {
    const verified = await this.verifyOr401('mfa', mfaToken);
    if (verified.claims.stage !== stage) {
      throw new UnauthorizedException(
        stage === 'enrol' ? 'This sign-in needs a code, not enrolment' : 'Enrol an authenticator first',
      );
    }
    return { userId: verified.subject, challenge: verified.tokenId };
  }

  private async verifyOr401(kind: 'refresh' | 'mfa', token: string) {
    try {
      return await this.signer.verify(kind, token);
    } catch (error) {
      if (error instanceof InvalidToken) throw new UnauthorizedException(`Invalid ${kind} token`);
      throw error;
    }
  }
}

/**
 * From here on the transaction's changes are the user's own (they proved their credentials): the audit
 * context, for the trigger and for explicit events, names them.
 */
async function actAsUser(em: EntityManager, context: AuditContext, userId: string): Promise<AuditContext> {
  const asUser = { ...context, actor: `user:${userId}` };
  await applyAuditContext(em, asUser);
  return asUser;
}

function userEvent(action: string, user: AppUser, details: Record<string, unknown> = {}) {
  return { action, entityType: 'app_user', entityId: user.id, details };
}

function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new UnauthorizedException(outcome.message);
  return outcome.value;
}

/**
 * NCSC and NHS guidance: length over composition rules. 12 to 128 characters, not the e-mail address.
 * (argon2 would hash anything; the upper bound keeps one request from costing much.)
 */
export function assertPasswordPolicy(password: string, email: string, field: string): void {
  const reasons: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH)
    reasons.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH)
    reasons.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.trim().toLowerCase() === email.toLowerCase()) reasons.push('must not be the e-mail address');
  if (reasons.length > 0) throw new ValidationProblem(reasons.map((reason) => ({ field, reason })));
}
