import { createHmac, randomBytes } from 'node:crypto';
import { decrypt, deriveKey, encrypt } from '../../../crypto/src/index.js';

/** A data key wrapped by a master key: which master key, and the ciphertext. */
export interface WrappedKey {
  readonly keyId: string;
  readonly wrapped: string;
}

export class UnknownMasterKey extends Error {
  constructor(readonly keyId: string) {
    super(`master key ${keyId} is not configured (IDENTITY_MASTER_KEYS)`);
    this.name = 'UnknownMasterKey';
  }
}

/** What a keyed hash is of: separate domains, so a hash of one kind never matches another. */
export type LookupKind = 'nhs_number' | 'name_dob';

/**
 * Envelope encryption of patients' identities (domain guide §3 item 1):
 * - each patient has a random 256-bit data key; their identifier fields are sealed with it (AES-256-GCM),
 *   each bound to the patient and field (associated data), so a ciphertext moved to another row or field
 *   does not open;
 * - the data key is stored only wrapped by a master key from configuration, named by its key id, so a new
 *   master key can be introduced and every data key re-wrapped without touching the identities;
 * - destroying the wrapped data key (crypto-shredding) makes every copy of that patient's identity
 *   unreadable, the audit trail's included, which only ever holds ciphertext;
 * - keyed hashes (HMAC-SHA256 under a separate key) find a patient by exact NHS number, and refuse a duplicate
 *   at any site, without decrypting anything.
 * An NHS number has only about 10^9 values, so whoever holds the lookup key can invert its hash by trying them
 * all: the hashes therefore live beside the wrapped data key in the key table, which has no audit trigger
 * (its changes are recorded as events without key material), and shredding a patient deletes both.
 */
export class IdentityKeyring {
  private readonly masters: ReadonlyMap<string, Buffer>;
  private readonly lookupKey: Buffer;
  /** The master key that wraps new data keys (the first configured). */
  readonly currentKeyId: string;

  constructor(masterKeys: string, lookupKey: string) {
    const entries = masterKeys.split(',').map((pair) => {
      const separator = pair.indexOf(':');
      const id = pair.slice(0, separator);
      const secret = pair.slice(separator + 1);
      if (separator < 1 || secret.length < 32)
        throw new Error('a master key must be id:secret, 32+ characters');
      return [id, deriveKey(secret, `ecmo-registry identity master key ${id}`)] as const;
    });
    if (lookupKey.length < 32) throw new Error('the lookup key must have 32+ characters');
    if (new Set(entries.map(([id]) => id)).size !== entries.length)
      throw new Error('duplicate master key id');
    this.masters = new Map(entries);
    this.currentKeyId = entries[0][0];
    this.lookupKey = deriveKey(lookupKey, 'ecmo-registry identity lookup hash');
  }

  newDataKey(): Buffer {
    return randomBytes(32);
  }

  wrap(dataKey: Buffer, patientId: string): WrappedKey {
    const master = this.masters.get(this.currentKeyId)!;
    return {
      keyId: this.currentKeyId,
      wrapped: encrypt(master, dataKey.toString('base64'), `data-key:${patientId}`),
    };
  }

  unwrap(key: WrappedKey, patientId: string): Buffer {
    const master = this.masters.get(key.keyId);
    if (!master) throw new UnknownMasterKey(key.keyId);
    return Buffer.from(decrypt(master, key.wrapped, `data-key:${patientId}`), 'base64');
  }

  /** The same data key wrapped by the current master key (rotation); unchanged when it already is. */
  rewrap(key: WrappedKey, patientId: string): WrappedKey {
    if (key.keyId === this.currentKeyId) return key;
    return this.wrap(this.unwrap(key, patientId), patientId);
  }

  seal(dataKey: Buffer, patientId: string, field: string, plaintext: string): string {
    return encrypt(dataKey, plaintext, `${patientId}/${field}`);
  }

  open(dataKey: Buffer, patientId: string, field: string, sealed: string): string {
    return decrypt(dataKey, sealed, `${patientId}/${field}`);
  }

  /** The keyed hash of a normalised value (NHS number digits; lower-cased name and ISO date of birth). */
  lookupHash(kind: LookupKind, normalised: string): Buffer {
    return createHmac('sha256', this.lookupKey).update(`${kind}\u0000${normalised}`, 'utf8').digest();
  }
}
