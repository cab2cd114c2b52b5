import argon2, { type HashOptions } from 'argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended parameters: 19 MiB of memory,
 * 2 iterations, 1 degree of parallelism. A hash made with other parameters still verifies, and is replaced
 * at the next successful sign-in (needsRehash), so raising the parameters needs no migration.
 */
export const ARGON2_PARAMETERS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export class PasswordHasher {
  constructor(private readonly parameters: HashOptions = ARGON2_PARAMETERS) {}

  // A hash of a random password, verified when the e-mail is unknown, so a failed sign-in takes as long
  // whether or not the account exists (no account enumeration by timing).
  private readonly decoy = argon2.hash(`decoy-${Math.random()}`, ARGON2_PARAMETERS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.parameters);
  }

  /** Verifies against the stored hash, or against the decoy when there is none. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    if (hash === null) {
      await argon2.verify(await this.decoy, password);
      return false;
    }
    return argon2.verify(hash, password);
  }

  needsRehash(hash: string): boolean {
    return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.parameters);
  }
}
