import { ConflictException, GoneException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { AppConfig } from '../../../config/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import { IdentityKeyring } from '../identity/identity-keyring.js';
import { normaliseNhsNumber } from '../rules/nhs-number.js';
import type { PatientIdentity } from './entities.js';
import {
  deleteKey,
  existingKeyOf,
  insertPatientIdentity,
  insertPatientKey,
  keyByNhsNumberHash,
  keyOf,
  keysToRotate,
  patientsByNameDobHash,
  patientsByNhsNumberHash,
  replaceSealedIdentity,
  rewrapKey,
  sealedDateOfBirth,
  sealedIdentityOf,
  setLookupHashes,
} from './identities.queries.js';
import { assertUpdated } from './versioning.js';

/** A patient's identifiers in clear: only ever in memory, on their way to a logged read or a reminder. */
export interface Identity {
  readonly nhsNumber: string;
  readonly familyName: string;
  readonly givenName: string;
  /** @format date */
  readonly dateOfBirth: string;
  readonly phone: string | null;
  readonly email: string | null;
  readonly address: string | null;
  readonly reminderChannel: 'sms' | 'email' | 'none';
}

const SEALED_FIELDS = [
  'nhsNumber',
  'familyName',
  'givenName',
  'dateOfBirth',
  'phone',
  'email',
  'address',
] as const;
type SealedField = (typeof SEALED_FIELDS)[number];
type SealedIdentity = Pick<PatientIdentity, SealedField>;

/**
 * The form of a family name that search matches on: case, accents, spaces, hyphens and apostrophes ignored
 * (O'Brien, OBRIEN and o brien are one name), so a nurse finds the patient whatever the spelling habit of the
 * ward that typed it; the letters themselves must match.
 */
export function normaliseFamilyName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

export class IdentityDestroyed extends GoneException {
  constructor() {
    super(
      'The patient declined: their identity was destroyed and the record is kept only as a count (it cannot be read by anyone)',
    );
  }
}

/**
 * Where identities are sealed, opened, found and destroyed (domain guide §3 item 1). Every method runs in
 * the caller's transaction. The key table is never audited as rows: its changes are recorded here as events
 * carrying the key id only, so destroying a key leaves nothing decryptable or matchable behind.
 */
@Injectable()
export class PatientIdentities {
  readonly keyring: IdentityKeyring;

  constructor(
    config: AppConfig,
    private readonly audit: AuditService,
  ) {
    if (!config.IDENTITY_MASTER_KEYS || !config.IDENTITY_LOOKUP_KEY) {
      throw new Error(
        'IDENTITY_MASTER_KEYS and IDENTITY_LOOKUP_KEY must be set (run `npm run db:setup` on a development machine)',
      );
    }
    this.keyring = new IdentityKeyring(config.IDENTITY_MASTER_KEYS, config.IDENTITY_LOOKUP_KEY);
  }

  nhsNumberHash(nhsNumber: string): Buffer {
    return this.keyring.lookupHash('nhs_number', normaliseNhsNumber(nhsNumber));
  }

  nameDobHash(familyName: string, dateOfBirth: string): Buffer {
    return this.keyring.lookupHash('name_dob', `${normaliseFamilyName(familyName)}\u0000${dateOfBirth}`);
  }

  /**
   * Refuses an NHS number already in the registry, at any site, without saying where (the other site's
   * patient is not disclosed). The unique index on the hash closes the race between two enrolments.
   */
  async assertNewNhsNumber(em: EntityManager, nhsNumber: string, patientId?: string): Promise<void> {
    const existing = await keyByNhsNumberHash(em, this.nhsNumberHash(nhsNumber));
    if (existing && existing.patientId !== patientId) throw duplicateNhsNumber();
  }

  async create(
    em: EntityManager,
    context: AuditContext,
    patientId: string,
    identity: Identity,
  ): Promise<void> {
    await this.assertNewNhsNumber(em, identity.nhsNumber);
    const dataKey = this.keyring.newDataKey();
    const wrapped = this.keyring.wrap(dataKey, patientId);
    await insertPatientKey(em, {
      patientId,
      keyId: wrapped.keyId,
      wrappedKey: wrapped.wrapped,
      nhsNumberHash: this.nhsNumberHash(identity.nhsNumber),
      nameDobHash: this.nameDobHash(identity.familyName, identity.dateOfBirth),
    });
    await insertPatientIdentity(em, {
      id: patientId,
      ...this.sealAll(dataKey, patientId, identity),
      reminderChannel: identity.reminderChannel,
      version: 1,
    });
    await this.audit.record(em, context, {
      action: 'patient_key.created',
      entityType: 'patient_key',
      entityId: patientId,
      details: { keyId: wrapped.keyId },
    });
  }

  /**
   * The date of birth alone, for re-deriving age and eligibility after a change (never shown to anyone, so
   * not an identifier read): one field opened rather than the whole identity, on every clinical write.
   */
  async dateOfBirth(em: EntityManager, patientId: string): Promise<string> {
    const row = await sealedDateOfBirth(em, patientId);
    if (!row) throw new IdentityDestroyed();
    const dataKey = this.keyring.unwrap({ keyId: row.key_id, wrapped: row.wrapped_key }, patientId);
    return this.keyring.open(dataKey, patientId, 'dateOfBirth', row.date_of_birth);
  }

  /** The identity in clear, with its version; 410 once destroyed. The caller logs the read. */
  async read(em: EntityManager, patientId: string): Promise<{ identity: Identity; version: number }> {
    const key = await keyOf(em, patientId);
    const row = await sealedIdentityOf(em, patientId);
    if (!key || !row) throw new IdentityDestroyed();
    const dataKey = this.keyring.unwrap({ keyId: key.keyId, wrapped: key.wrappedKey }, patientId);
    const open = (field: SealedField, sealed: string | null): string | null =>
      sealed === null ? null : this.keyring.open(dataKey, patientId, field, sealed);
    return {
      version: row.version,
      identity: {
        nhsNumber: open('nhsNumber', row.nhsNumber)!,
        familyName: open('familyName', row.familyName)!,
        givenName: open('givenName', row.givenName)!,
        dateOfBirth: open('dateOfBirth', row.dateOfBirth)!,
        phone: open('phone', row.phone),
        email: open('email', row.email),
        address: open('address', row.address),
        reminderChannel: row.reminderChannel,
      },
    };
  }

  /**
   * Replaces the identity with `next` (a correction), re-sealing every field and re-computing the lookup
   * hashes, if the identity is still at `version` (409 otherwise: it changed since the caller read it).
   */
  async replace(em: EntityManager, patientId: string, version: number, next: Identity): Promise<void> {
    await this.assertNewNhsNumber(em, next.nhsNumber, patientId);
    const key = await existingKeyOf(em, patientId);
    const dataKey = this.keyring.unwrap({ keyId: key.keyId, wrapped: key.wrappedKey }, patientId);
    await setLookupHashes(em, patientId, {
      nhsNumberHash: this.nhsNumberHash(next.nhsNumber),
      nameDobHash: this.nameDobHash(next.familyName, next.dateOfBirth),
    });
    const affected = await replaceSealedIdentity(em, patientId, version, {
      ...this.sealAll(dataKey, patientId, next),
      reminderChannel: next.reminderChannel,
    });
    assertUpdated('Identity', affected);
  }

  /** Patients whose keyed NHS number hash matches (0 or 1). */
  async findByNhsNumber(em: EntityManager, nhsNumber: string): Promise<string[]> {
    return patientsByNhsNumberHash(em, this.nhsNumberHash(nhsNumber));
  }

  async findByNameAndDateOfBirth(
    em: EntityManager,
    familyName: string,
    dateOfBirth: string,
  ): Promise<string[]> {
    return patientsByNameDobHash(em, this.nameDobHash(familyName, dateOfBirth));
  }

  /**
   * Crypto-shredding (domain guide §3 item 3): deletes the wrapped data key and the hashes, the only way to
   * open or match the identity and every copy of it in the audit trail. The event says that it happened and
   * under which key id, nothing more.
   */
  async destroy(em: EntityManager, context: AuditContext, patientId: string): Promise<void> {
    const key = await keyOf(em, patientId);
    if (!key) return;
    await deleteKey(em, patientId);
    await this.audit.record(em, context, {
      action: 'patient_key.destroyed',
      entityType: 'patient_key',
      entityId: patientId,
      details: { keyId: key.keyId },
    });
  }

  /**
   * Re-wraps, in batches, every data key not wrapped by the current master key; each patient's rotation is
   * an audit event (old and new key ids). Returns how many keys were re-wrapped. Safe to run again after an
   * interruption: keys already re-wrapped are skipped.
   */
  async rotate(
    run: <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>,
    context: AuditContext,
    batchSize = 500,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await run(async (em) => {
        const keys = await keysToRotate(em, this.keyring.currentKeyId, batchSize);
        for (const key of keys) {
          const next = this.keyring.rewrap({ keyId: key.keyId, wrapped: key.wrappedKey }, key.patientId);
          await rewrapKey(em, key.patientId, {
            keyId: next.keyId,
            wrappedKey: next.wrapped,
            rotatedAt: new Date(),
          });
          await this.audit.record(em, context, {
            action: 'patient_key.rotated',
            entityType: 'patient_key',
            entityId: key.patientId,
            details: { fromKeyId: key.keyId, toKeyId: next.keyId },
          });
        }
        return keys.length;
      });
      total += done;
      if (done < batchSize) return total;
    }
  }

  /** Every sealed field of an identity, each sealed under the patient's data key (what the row stores). */
  sealAll(dataKey: Buffer, patientId: string, identity: Identity): SealedIdentity {
    const sealed = {} as Record<SealedField, string | null>;
    for (const field of SEALED_FIELDS) {
      const value = field === 'nhsNumber' ? normaliseNhsNumber(identity.nhsNumber) : identity[field];
      sealed[field] = value === null ? null : this.keyring.seal(dataKey, patientId, field, value);
    }
    return sealed as SealedIdentity;
  }
}

function duplicateNhsNumber(): ConflictException {
  return new ConflictException('A patient with this NHS number is already enrolled in the registry');
}
