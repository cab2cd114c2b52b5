import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { deriveKey } from '../../../crypto/src/index.js';

/**
 * The three kinds of token the api signs, told apart by the JOSE `typ` header (RFC 8725 §3.11), so that one
 * can never be used as another: an access token (RFC 9068's `at+jwt`), a refresh token, and the short-lived
 * token that carries a user from the password step to the TOTP step.
 */
export const TOKEN_TYPES = {
  access: 'at+jwt',
  refresh: 'refresh+jwt',
  mfa: 'mfa+jwt',
} as const;
export type TokenKind = keyof typeof TOKEN_TYPES;

/** The only algorithm signed and accepted (RFC 8725 §3.1: the verifier pins it; `none` is never accepted). */
export const JWT_ALGORITHM = 'HS256';

export interface TokenSettings {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
}

export interface VerifiedToken {
  readonly subject: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
  readonly claims: JWTPayload;
}

export class InvalidToken extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'InvalidToken';
  }
}

/** jwtVerify's leeway on expiry, seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;

export class TokenSigner {
  private readonly key: Uint8Array;
  /**
   * Access tokens already verified, by their exact text, until they expire: the same bytes verify the same
   * way, so each token's signature is checked once rather than on every request (an HMAC through WebCrypto,
   * 40–150 µs, found by the read benchmark). Expiry is checked again on every use; whether the session and
   * the account are still live is the Authenticator's read, on every request as before.
   */
  private readonly verifiedAccess = new LRUCache<string, VerifiedToken>({ max: 10_000 });

  constructor(private readonly settings: TokenSettings) {
    // A derived key: the configured secret is never used as is, and other purposes derive their own.
    this.key = deriveKey(settings.secret, 'ecmo-registry jwt hs256');
  }

  async sign(
    kind: TokenKind,
    subject: string,
    ttlSeconds: number,
    extra: Record<string, unknown> = {},
    tokenId: string = randomUUID(),
  ): Promise<{ token: string; tokenId: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(extra)
      .setProtectedHeader({ alg: JWT_ALGORITHM, typ: TOKEN_TYPES[kind] })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(subject)
      .setJti(tokenId)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key);
    return { token, tokenId, expiresAt: new Date((now + ttlSeconds) * 1000) };
  }

  /** Checks signature, algorithm, type, issuer, audience, expiry and the presence of sub, jti, exp. */
  async verify(kind: TokenKind, token: string): Promise<VerifiedToken> {
    if (kind === 'access') {
      const known = this.verifiedAccess.get(token);
      if (known && Date.now() <= known.expiresAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000) return known;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [JWT_ALGORITHM],
        typ: TOKEN_TYPES[kind],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      const verified: VerifiedToken = {
        subject: payload.sub!,
        tokenId: payload.jti!,
        expiresAt: new Date(payload.exp! * 1000),
        claims: payload,
      };
      if (kind === 'access') this.verifiedAccess.set(token, verified);
      return verified;
    } catch (error) {
      if (kind === 'access') this.verifiedAccess.delete(token);
      if (error instanceof errors.JOSEError) throw new InvalidToken(error.code);
      throw error;
    }
  }
}
