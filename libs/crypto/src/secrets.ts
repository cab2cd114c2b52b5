import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** A random token (256 bits), URL-safe: reset tokens, API key secrets. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Tokens and codes are stored as SHA-256 digests: they are random with at least 80 bits of entropy, so a
 * slow hash adds nothing, and a leaked table does not hold a usable credential.
 */
export function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A key for one purpose, derived from a configured secret (HKDF-SHA256), so one secret never serves two. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), purpose, 32));
}

const VERSION = 'v1';

/**
 * AES-256-GCM, `v1.<iv>.<tag>.<ciphertext>` (base64url): the version leaves room for key rotation. The
 * owner's id is bound in as associated data, so a ciphertext copied into another row does not decrypt.
 */
export function encrypt(key: Buffer, plaintext: string, owner: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function decrypt(key: Buffer, sealed: string, owner: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('unknown ciphertext format');
  const nonce = Buffer.from(iv, 'base64url');
  const authTag = Buffer.from(tag, 'base64url');
  // A full 16-byte tag only: GCM would otherwise accept a truncated one, which is far easier to forge.
  if (nonce.length !== 12 || authTag.length !== 16) throw new Error('malformed ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  decipher.setAuthTag(authTag);
  decipher.setAAD(Buffer.from(owner, 'utf8'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
