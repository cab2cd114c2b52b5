import { type EntityManager, IsNull } from 'typeorm';
import { queryPrepared } from '../../../database/src/index.js';
import { AppUser, MfaRecoveryCode, PasswordResetToken, RefreshToken } from '../entities.js';
import type { Role } from '../roles.js';

/**
 * Sign-in's reads and writes: the user by e-mail address, refresh tokens, recovery codes, password reset
 * tokens, and the guard's look-ups of a session and of an API key. (The user row locked or read by id, and
 * the spending of a user's outstanding password tokens, are the users feature's: see users.queries.ts.)
 */

/** The user of this (lower-cased) e-mail address, locked (FOR UPDATE) for the rest of the transaction. */
export function lockUserByEmail(em: EntityManager, email: string): Promise<AppUser | null> {
  return em.findOne(AppUser, { where: { email }, lock: { mode: 'pessimistic_write' } });
}

/** Writes the user's changed fields (TypeORM's save). */
export async function saveUser(em: EntityManager, user: AppUser): Promise<void> {
  await em.save(user);
}

export function findUserOrFail(em: EntityManager, userId: string): Promise<AppUser> {
  return em.findOneByOrFail(AppUser, { id: userId });
}

/** The refresh token, locked (FOR UPDATE): a token is exchanged once, by one request. */
export function lockRefreshToken(em: EntityManager, tokenId: string): Promise<RefreshToken | null> {
  return em.findOne(RefreshToken, { where: { id: tokenId }, lock: { mode: 'pessimistic_write' } });
}

export function findRefreshToken(em: EntityManager, tokenId: string): Promise<RefreshToken | null> {
  return em.findOneBy(RefreshToken, { id: tokenId });
}

/** Writes the refresh token's changed fields (TypeORM's save). */
export async function saveRefreshToken(em: EntityManager, token: RefreshToken): Promise<void> {
  await em.save(token);
}

export async function insertRefreshToken(
  em: EntityManager,
  token: { id: string; familyId: string; userId: string; expiresAt: Date },
): Promise<void> {
  await em.insert(RefreshToken, {
    id: token.id,
    familyId: token.familyId,
    userId: token.userId,
    expiresAt: token.expiresAt,
  });
}

/** Revokes the live refresh tokens of a user or of a sign-in (family); returns how many. */
export async function revokeLiveTokens(
  em: EntityManager,
  owner: { userId: string; exceptSessionId?: string } | { familyId: string },
  reason: string,
): Promise<number> {
  const query = em
    .createQueryBuilder()
    .update(RefreshToken)
    .set({ revokedAt: () => 'now()', revokedReason: reason })
    .where('userId' in owner ? 'user_id = :id' : 'family_id = :id', {
      id: 'userId' in owner ? owner.userId : owner.familyId,
    })
    .andWhere('revoked_at IS NULL');
  if ('userId' in owner && owner.exceptSessionId) {
    query.andWhere('family_id <> :keep', { keep: owner.exceptSessionId });
  }
  const result = await query.execute();
  return result.affected ?? 0;
}

/** Revokes the live refresh tokens of one sign-in (family); returns how many. */
export function revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<number> {
  return revokeLiveTokens(em, { familyId }, reason);
}

/** The password reset token of this digest, locked (FOR UPDATE): a token is used once, by one request. */
export function lockPasswordResetToken(
  em: EntityManager,
  tokenHash: Buffer,
): Promise<PasswordResetToken | null> {
  return em.findOne(PasswordResetToken, { where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
}

/** Marks the user's recovery code of this digest used if it is live (unused, not superseded); true if it was. */
export async function useRecoveryCode(em: EntityManager, userId: string, codeHash: Buffer): Promise<boolean> {
  const result = await em
    .createQueryBuilder()
    .update(MfaRecoveryCode)
    .set({ usedAt: () => 'now()' })
    .where('user_id = :userId AND code_hash = :hash AND used_at IS NULL AND superseded_at IS NULL', {
      userId,
      hash: codeHash,
    })
    .execute();
  return (result.affected ?? 0) === 1;
}

/** How many of the user's recovery codes are live (unused, not superseded). */
export function countLiveRecoveryCodes(em: EntityManager, userId: string): Promise<number> {
  return em.count(MfaRecoveryCode, {
    where: { userId, usedAt: IsNull(), supersededAt: IsNull() },
  });
}

/** The user's live recovery codes stop working (new ones replace them). */
export async function supersedeRecoveryCodes(em: EntityManager, userId: string): Promise<void> {
  await em.update(
    MfaRecoveryCode,
    { userId, usedAt: IsNull(), supersededAt: IsNull() },
    { supersededAt: new Date() },
  );
}

export async function insertRecoveryCodes(
  em: EntityManager,
  userId: string,
  codeHashes: readonly Buffer[],
): Promise<void> {
  await em.insert(
    MfaRecoveryCode,
    codeHashes.map((codeHash) => ({ userId, codeHash })),
  );
}

/**
 * The user's role, sites and whether the session is live and the account active, or undefined for no
 * user. Every request: a prepared statement (see queryPrepared).
 */
export async function findSessionUser(
  em: EntityManager,
  userId: string,
  sessionId: string,
): Promise<{ role: Role; site_ids: string[]; active: boolean } | undefined> {
  const rows = await queryPrepared<{ role: Role; site_ids: string[]; active: boolean }>(
    em,
    `SELECT u.role, array(SELECT s.site_id::text FROM user_site s WHERE s.user_id = u.id ORDER BY 1) AS site_ids,
              u.disabled_at IS NULL AND u.locked_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_token t
                           WHERE t.family_id = $2 AND t.user_id = u.id AND t.revoked_at IS NULL) AS active
         FROM app_user u WHERE u.id = $1`,
    [userId, sessionId],
  );
  return rows[0];
}

/** The unrevoked API key of this digest, or undefined. */
export async function findLiveApiKey(
  em: EntityManager,
  secretHash: Buffer,
): Promise<{ id: string; roles: Role[] } | undefined> {
  const rows: { id: string; roles: Role[] }[] = await em.query(
    `SELECT id, roles FROM api_key WHERE secret_hash = $1 AND revoked_at IS NULL`,
    [secretHash],
  );
  return rows[0];
}

export async function recordApiKeyUse(em: EntityManager, apiKeyId: string): Promise<void> {
  await em.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [apiKeyId]);
}
