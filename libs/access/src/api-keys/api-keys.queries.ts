import type { EntityManager } from 'typeorm';
import { ApiKey } from '../entities.js';
import type { ApiKeyRole } from '../roles.js';

/**
 * The api-keys feature's reads and writes of API keys. (The guard's look-up of a key and the record of its
 * use are sign-in's: see auth.queries.ts.)
 */

/** A new key, stored as the digest of its secret; returns its id. */
export async function insertApiKey(
  em: EntityManager,
  key: { name: string; secretHash: Buffer; roles: ApiKeyRole[]; createdBy: string },
): Promise<string> {
  const { identifiers } = await em.insert(ApiKey, {
    name: key.name,
    secretHash: key.secretHash,
    roles: key.roles,
    createdBy: key.createdBy,
  });
  return identifiers[0].id as string;
}

export function findApiKeyOrFail(em: EntityManager, id: string): Promise<ApiKey> {
  return em.findOneByOrFail(ApiKey, { id });
}

/** Every key, oldest first. */
export function listApiKeys(em: EntityManager): Promise<ApiKey[]> {
  return em.find(ApiKey, { order: { createdAt: 'ASC' } });
}

/** The key, locked (FOR UPDATE) for the rest of the transaction, or null. */
export function lockApiKey(em: EntityManager, id: string): Promise<ApiKey | null> {
  return em.findOne(ApiKey, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** Revokes the key, stamped by the database's clock. */
export async function revokeApiKey(em: EntityManager, id: string, revokedBy: string): Promise<void> {
  await em.update(ApiKey, { id }, { revokedAt: () => 'now()', revokedBy });
}
