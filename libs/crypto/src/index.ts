export { decrypt, deriveKey, digest, encrypt, randomToken, sameDigest } from './secrets.js';
