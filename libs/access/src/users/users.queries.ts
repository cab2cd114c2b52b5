import { In, IsNull, type EntityManager } from 'typeorm';
import { AppUser, PasswordResetToken, Site, UserSite } from '../entities.js';
import type { Role } from '../roles.js';

/**
 * The users feature's reads and writes of users, their sites and their password tokens. The user row's
 * lock and read, and the spending of outstanding password tokens, serve sign-in (auth) as well.
 */

/** The user, locked (FOR UPDATE) for the rest of the transaction, or null. */
export function lockUser(em: EntityManager, userId: string): Promise<AppUser | null> {
  return em.findOne(AppUser, { where: { id: userId }, lock: { mode: 'pessimistic_write' } });
}

export function findUser(em: EntityManager, userId: string): Promise<AppUser | null> {
  return em.findOneBy(AppUser, { id: userId });
}

/** Every user, by e-mail address. */
export function listUsers(em: EntityManager): Promise<AppUser[]> {
  return em.find(AppUser, { order: { email: 'ASC' } });
}

/** Every user's every site. */
export function listUserSites(em: EntityManager): Promise<UserSite[]> {
  return em.find(UserSite);
}

export function findUserSites(em: EntityManager, userId: string): Promise<UserSite[]> {
  return em.findBy(UserSite, { userId });
}

/** The sites of these ids that exist. */
export function findSites(em: EntityManager, siteIds: readonly string[]): Promise<Site[]> {
  return em.findBy(Site, { id: In([...siteIds]) });
}

/** A new user (no password, no authenticator); returns their id. */
export async function insertUser(
  em: EntityManager,
  user: { email: string; displayName: string; role: Role },
): Promise<string> {
  const { identifiers } = await em.insert(AppUser, {
    email: user.email,
    displayName: user.displayName,
    role: user.role,
  });
  return identifiers[0].id as string;
}

export async function addUserSites(
  em: EntityManager,
  userId: string,
  siteIds: readonly string[],
): Promise<void> {
  await em.insert(
    UserSite,
    siteIds.map((siteId) => ({ userId, siteId })),
  );
}

export async function removeUserSites(
  em: EntityManager,
  userId: string,
  siteIds: readonly string[],
): Promise<void> {
  await em.delete(UserSite, { userId, siteId: In([...siteIds]) });
}

export async function updateNameAndRole(
  em: EntityManager,
  userId: string,
  user: { displayName: string; role: Role },
): Promise<void> {
  await em.update(AppUser, { id: userId }, { displayName: user.displayName, role: user.role });
}

/** Disables (a date) or re-enables (null) the account; a sign-in under way ends with its challenge. */
export async function setDisabledAt(
  em: EntityManager,
  userId: string,
  disabledAt: Date | null,
): Promise<void> {
  await em.update(AppUser, { id: userId }, { disabledAt, mfaChallenge: null });
}

/** Lifts the lock and forgets the failed sign-in attempts. */
export async function unlockUser(em: EntityManager, userId: string): Promise<void> {
  await em.update(AppUser, { id: userId }, { lockedAt: null, failedLoginCount: 0 });
}

/** Forgets the authenticator (enrolled or pending): the next sign-in enrols again. */
export async function forgetAuthenticator(em: EntityManager, userId: string): Promise<void> {
  await em.update(
    AppUser,
    { id: userId },
    {
      totpSecret: null,
      totpPendingSecret: null,
      totpEnrolledAt: null,
      totpLastStep: null,
      mfaChallenge: null,
    },
  );
}

/** The user's unused recovery codes stop working (an MFA reset), stamped by the database's clock. */
export async function retireRecoveryCodes(em: EntityManager, userId: string): Promise<void> {
  await em.query(
    `UPDATE mfa_recovery_code SET superseded_at = now() WHERE user_id = $1 AND used_at IS NULL AND superseded_at IS NULL`,
    [userId],
  );
}

/** Marks every outstanding (unused) password token of the user used: none of them works any more. */
export async function spendOutstandingPasswordTokens(em: EntityManager, userId: string): Promise<void> {
  await em.update(PasswordResetToken, { userId, usedAt: IsNull() }, { usedAt: new Date() });
}

/** A password token, stored as its digest; returns its id. */
export async function insertPasswordToken(
  em: EntityManager,
  token: { userId: string; tokenHash: Buffer; issuedBy: string; expiresAt: Date },
): Promise<string> {
  const { identifiers } = await em.insert(PasswordResetToken, {
    userId: token.userId,
    tokenHash: token.tokenHash,
    issuedBy: token.issuedBy,
    expiresAt: token.expiresAt,
  });
  return identifiers[0].id as string;
}

export function userExistsWithEmail(em: EntityManager, email: string): Promise<boolean> {
  return em.existsBy(AppUser, { email });
}
