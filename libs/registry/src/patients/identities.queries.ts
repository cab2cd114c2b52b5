import type { EntityManager, QueryDeepPartialEntity } from 'typeorm';
import { queryPrepared, updateAtVersion } from '../../../database/src/index.js';
import { PatientIdentity, PatientKey } from './entities.js';

/**
 * The registry's reads and writes of patients' keys (wrapped data key, lookup hashes) and sealed identities.
 * Nothing here opens or seals anything: PatientIdentities does, with the keyring.
 */

/** The key whose keyed NHS number hash is `hash` (the unique index allows one), or null. */
export function keyByNhsNumberHash(em: EntityManager, hash: Buffer): Promise<PatientKey | null> {
  return em.findOneBy(PatientKey, { nhsNumberHash: hash });
}

/** The patients whose keyed NHS number hash is `hash` (0 or 1). */
export async function patientsByNhsNumberHash(em: EntityManager, hash: Buffer): Promise<string[]> {
  const keys = await em.findBy(PatientKey, { nhsNumberHash: hash });
  return keys.map((k) => k.patientId);
}

/** The patients whose keyed family name and date of birth hash is `hash`. */
export async function patientsByNameDobHash(em: EntityManager, hash: Buffer): Promise<string[]> {
  const keys = await em.findBy(PatientKey, { nameDobHash: hash });
  return keys.map((k) => k.patientId);
}

export async function insertPatientKey(
  em: EntityManager,
  key: QueryDeepPartialEntity<PatientKey>,
): Promise<void> {
  await em.insert(PatientKey, key);
}

export async function insertPatientIdentity(
  em: EntityManager,
  identity: QueryDeepPartialEntity<PatientIdentity>,
): Promise<void> {
  await em.insert(PatientIdentity, identity);
}

/** The wrapped key and the sealed date of birth; undefined once the key is destroyed. */
export async function sealedDateOfBirth(
  em: EntityManager,
  patientId: string,
): Promise<{ key_id: string; wrapped_key: string; date_of_birth: string } | undefined> {
  // One round trip for the key and the sealed field (a correction of an operation or a run pays it).
  const [row] = await queryPrepared<{ key_id: string; wrapped_key: string; date_of_birth: string }>(
    em,
    `SELECT k.key_id, k.wrapped_key, i.date_of_birth
       FROM patient_key k JOIN patient_identity i ON i.id = k.patient_id
      WHERE k.patient_id = $1`,
    [patientId],
  );
  return row;
}

/** The patient's key, or null once destroyed. */
export function keyOf(em: EntityManager, patientId: string): Promise<PatientKey | null> {
  return em.findOneBy(PatientKey, { patientId });
}

/** The patient's key, which must be there (EntityNotFoundError otherwise). */
export function existingKeyOf(em: EntityManager, patientId: string): Promise<PatientKey> {
  return em.findOneByOrFail(PatientKey, { patientId });
}

/** The patient's sealed identity row, or null. */
export function sealedIdentityOf(em: EntityManager, patientId: string): Promise<PatientIdentity | null> {
  return em.findOneBy(PatientIdentity, { id: patientId });
}

/** Re-computed lookup hashes after a correction of the identity. */
export async function setLookupHashes(
  em: EntityManager,
  patientId: string,
  hashes: { nhsNumberHash: Buffer; nameDobHash: Buffer },
): Promise<void> {
  await em.update(PatientKey, { patientId }, hashes);
}

/**
 * Replaces the sealed identity if it is still at `version` (bumping it); answers how many rows changed (0:
 * it changed since the caller read it).
 */
export async function replaceSealedIdentity(
  em: EntityManager,
  patientId: string,
  version: number,
  sealed: Partial<PatientIdentity>,
): Promise<number | undefined> {
  return updateAtVersion(em, PatientIdentity, patientId, version, sealed);
}

/** Crypto-shredding: deletes the wrapped data key and the hashes. */
export async function deleteKey(em: EntityManager, patientId: string): Promise<void> {
  await em.delete(PatientKey, { patientId });
}

/**
 * A batch of keys not wrapped by the master key `currentKeyId`, locked for the transaction; keys another
 * transaction holds locked are skipped (SKIP LOCKED), not waited for.
 */
export function keysToRotate(
  em: EntityManager,
  currentKeyId: string,
  batchSize: number,
): Promise<PatientKey[]> {
  return em
    .createQueryBuilder(PatientKey, 'k')
    .where('k.key_id <> :current', { current: currentKeyId })
    .orderBy('k.patient_id')
    .limit(batchSize)
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked')
    .getMany();
}

/** The data key re-wrapped under another master key. */
export async function rewrapKey(
  em: EntityManager,
  patientId: string,
  wrapped: { keyId: string; wrappedKey: string; rotatedAt: Date },
): Promise<void> {
  await em.update(PatientKey, { patientId }, wrapped);
}
