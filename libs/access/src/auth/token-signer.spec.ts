import { jest } from '@jest/globals';
import { InvalidToken, TokenSigner } from './token-signer.js';

const settings = { secret: 'a-test-secret-of-enough-length-000000', issuer: 'registry', audience: 'api' };

describe('TokenSigner.verify on access tokens (verified once, then remembered until expiry)', () => {
  afterEach(() => jest.useRealTimers());

  it('accepts the same valid token again with the same claims', async () => {
    const signer = new TokenSigner(settings);
    const { token } = await signer.sign('access', 'user-1', 60, { sid: 'session-1' });
    const first = await signer.verify('access', token);
    const again = await signer.verify('access', token);
    expect(again).toEqual(first);
    expect(again.claims.sid).toBe('session-1');
  });

  it('refuses a remembered token once it has expired', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-24T10:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
    const signer = new TokenSigner(settings);
    const { token } = await signer.sign('access', 'user-1', 60, { sid: 'session-1' });
    await expect(signer.verify('access', token)).resolves.toMatchObject({ subject: 'user-1' });
    // Within jwtVerify's 5 s leeway it still holds; past it, it does not.
    jest.setSystemTime(new Date('2026-11-24T10:01:04Z'));
    await expect(signer.verify('access', token)).resolves.toMatchObject({ subject: 'user-1' });
    jest.setSystemTime(new Date('2026-11-24T10:01:06Z'));
    await expect(signer.verify('access', token)).rejects.toBeInstanceOf(InvalidToken);
  });

  it('refuses a token one byte away from a remembered one, and another kind of token', async () => {
    const signer = new TokenSigner(settings);
    const { token } = await signer.sign('access', 'user-1', 60);
    await signer.verify('access', token);
    // A character inside the signature (the last one's low bits are padding, which decoders ignore).
    const i = token.length - 10;
    const tampered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    await expect(signer.verify('access', tampered)).rejects.toBeInstanceOf(InvalidToken);
    const refresh = await signer.sign('refresh', 'user-1', 60);
    await expect(signer.verify('access', refresh.token)).rejects.toBeInstanceOf(InvalidToken);
    // A remembered access token is still not a refresh token.
    await expect(signer.verify('refresh', token)).rejects.toBeInstanceOf(InvalidToken);
  });

  it('does not trust a token signed with another secret', async () => {
    const other = await new TokenSigner({
      ...settings,
      secret: 'another-secret-of-enough-length-11111',
    }).sign('access', 'user-1', 60);
    await expect(new TokenSigner(settings).verify('access', other.token)).rejects.toBeInstanceOf(
      InvalidToken,
    );
  });
});
