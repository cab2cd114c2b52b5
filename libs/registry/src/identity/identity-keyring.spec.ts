import { randomBytes } from 'node:crypto';
import { IdentityKeyring, UnknownMasterKey } from './identity-keyring.js';

const secret = () => randomBytes(32).toString('base64url');
const PATIENT = '0b8f6a54-7a53-4c4e-9d1c-2b5f2b5b1a01';
const OTHER = '0b8f6a54-7a53-4c4e-9d1c-2b5f2b5b1a02';

describe('IdentityKeyring', () => {
  const old = `k1:${secret()}`;
  const next = `k2:${secret()}`;
  const lookup = secret();

  it('seals a field with the patient data key and opens it only for the same patient and field', () => {
    const keyring = new IdentityKeyring(old, lookup);
    const dataKey = keyring.newDataKey();
    const sealed = keyring.seal(dataKey, PATIENT, 'nhs_number', '9990000018');
    expect(sealed).not.toContain('9990000018');
    expect(keyring.open(dataKey, PATIENT, 'nhs_number', sealed)).toBe('9990000018');
    expect(() => keyring.open(dataKey, OTHER, 'nhs_number', sealed)).toThrow();
    expect(() => keyring.open(dataKey, PATIENT, 'family_name', sealed)).toThrow();
    expect(() => keyring.open(keyring.newDataKey(), PATIENT, 'nhs_number', sealed)).toThrow();
  });

  it('wraps data keys with the current master key and unwraps them only for their patient', () => {
    const keyring = new IdentityKeyring(`${old},${next}`, lookup);
    const dataKey = keyring.newDataKey();
    const wrapped = keyring.wrap(dataKey, PATIENT);
    expect(wrapped.keyId).toBe('k1');
    expect(keyring.unwrap(wrapped, PATIENT).equals(dataKey)).toBe(true);
    expect(() => keyring.unwrap(wrapped, OTHER)).toThrow();
  });

  it('rotates: a new first master key re-wraps old data keys, after which the old key can go', () => {
    const before = new IdentityKeyring(old, lookup);
    const dataKey = before.newDataKey();
    const wrapped = before.wrap(dataKey, PATIENT);

    const during = new IdentityKeyring(`${next},${old}`, lookup);
    expect(during.unwrap(wrapped, PATIENT).equals(dataKey)).toBe(true);
    const rewrapped = during.rewrap(wrapped, PATIENT);
    expect(rewrapped.keyId).toBe('k2');
    expect(during.rewrap(rewrapped, PATIENT)).toBe(rewrapped);

    const after = new IdentityKeyring(next, lookup);
    expect(after.unwrap(rewrapped, PATIENT).equals(dataKey)).toBe(true);
    expect(() => after.unwrap(wrapped, PATIENT)).toThrow(UnknownMasterKey);
  });

  it('hashes for lookup deterministically, per kind, and only under its own key', () => {
    const keyring = new IdentityKeyring(old, lookup);
    const same = new IdentityKeyring(`${next}`, lookup);
    const other = new IdentityKeyring(old, secret());
    const hash = keyring.lookupHash('nhs_number', '9990000018');
    expect(same.lookupHash('nhs_number', '9990000018').equals(hash)).toBe(true);
    expect(keyring.lookupHash('name_dob', '9990000018').equals(hash)).toBe(false);
    expect(other.lookupHash('nhs_number', '9990000018').equals(hash)).toBe(false);
    expect(keyring.lookupHash('nhs_number', '9990000026').equals(hash)).toBe(false);
  });

  it('refuses duplicate master key ids', () => {
    expect(() => new IdentityKeyring(`k1:${secret()},k1:${secret()}`, lookup)).toThrow(
      'duplicate master key id',
    );
  });
});
