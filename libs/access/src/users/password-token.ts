import type { EntityManager } from 'typeorm';
import type { AuditService } from '../../../audit/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import { digest, randomToken } from '../../../crypto/src/index.js';
import type { Role } from '../roles.js';
import {
  addUserSites,
  insertPasswordToken,
  insertUser,
  spendOutstandingPasswordTokens,
} from './users.queries.js';

/** A one-time token for setting a password: given to the user out of band, shown once. */
export interface PasswordToken {
  readonly token: string;
  readonly expiresAt: string;
}

/**
 * Issues a one-time, expiring token with which a user sets their password (the first one, or after
 * forgetting it); earlier tokens of the user that are still outstanding stop working. Only its digest is stored; the audit trail records who issued it and when it expires.
 */
export async function issuePasswordToken(
  em: EntityManager,
  audit: AuditService,
  context: AuditContext,
  userId: string,
  purpose: 'first_password' | 'password_reset',
  ttlSeconds: number,
): Promise<PasswordToken> {
  // A new token supersedes any earlier one still outstanding: only the latest one handed out works.
  await spendOutstandingPasswordTokens(em, userId);
  const token = randomToken();
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const tokenId = await insertPasswordToken(em, {
    userId,
    tokenHash: digest(token),
    issuedBy: context.actor,
    expiresAt,
  });
  await audit.record(em, context, {
    action: 'password_reset.issued',
    entityType: 'app_user',
    entityId: userId,
    details: { purpose, tokenId, expiresAt: expiresAt.toISOString() },
  });
  return { token, expiresAt: expiresAt.toISOString() };
}

/**
 * A new user with no password, at their sites, recorded in the audit trail, and the one-time token with which
 * they set their password: the one way users come to exist (the api's POST /users and the create-admin
 * command). The caller checks the role and the sites; a duplicate e-mail fails on the unique index.
 */
export async function createUserWithPasswordToken(
  em: EntityManager,
  audit: AuditService,
  context: AuditContext,
  input: { email: string; displayName: string; role: Role; siteIds: readonly string[]; via?: string },
  ttlSeconds: number,
): Promise<{ userId: string; passwordSetup: PasswordToken }> {
  const userId = await insertUser(em, {
    email: input.email.trim().toLowerCase(),
    displayName: input.displayName.trim(),
    role: input.role,
  });
  if (input.siteIds.length > 0) await addUserSites(em, userId, input.siteIds);
  await audit.record(em, context, {
    action: 'user.created',
    entityType: 'app_user',
    entityId: userId,
    details: { role: input.role, siteIds: [...input.siteIds], ...(input.via ? { via: input.via } : {}) },
  });
  const passwordSetup = await issuePasswordToken(em, audit, context, userId, 'first_password', ttlSeconds);
  return { userId, passwordSetup };
}
