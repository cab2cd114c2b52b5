import { acceptTotp, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, totpCode } from './auth/totp.js';
import { decrypt, deriveKey, encrypt } from '../../crypto/src/index.js';
import { SiteScope, type Principal } from './principal.js';
import { routeProblems, type RouteAccess } from './route-table.js';

const user = (roles: Principal['roles'], siteIds: string[] = []): Principal => ({
  kind: 'user',
  id: 'u',
  roles,
  siteIds,
  actor: 'user:u',
});

describe('SiteScope', () => {
  it.each([
    [['research_nurse'], ['a'], 'a', true],
    [['research_nurse'], ['a'], 'b', false],
    [['site_investigator'], ['a', 'b'], 'b', true],
    [['research_nurse'], [], 'a', false],
    [['data_manager'], [], 'a', true],
    [['auditor'], [], 'b', true],
    [['admin'], [], 'b', true],
    [[], [], 'a', false],
  ] as const)('%j at %j sees site %s: %s', (roles, sites, site, expected) => {
    expect(SiteScope.of(user(roles, [...sites])).includes(site)).toBe(expected);
  });

  it('filters by site in SQL for site roles only, and an empty list matches nothing', () => {
    expect(SiteScope.of(user(['research_nurse'], ['a'])).where('p.site_id')).toEqual({
      sql: 'p.site_id = ANY(:scopeSiteIds)',
      params: { scopeSiteIds: ['a'] },
    });
    expect(SiteScope.of(user(['research_nurse'])).where('p.site_id').params).toEqual({ scopeSiteIds: [] });
    expect(SiteScope.of(user(['data_manager'])).where('p.site_id')).toEqual({ sql: 'TRUE', params: {} });
  });

  it('gives hand-written SQL the same filter, with a positional parameter', () => {
    expect(SiteScope.of(user(['research_nurse'], ['a', 'b'])).whereAt('site_id', 2)).toEqual({
      sql: 'site_id = ANY($2)',
      params: [['a', 'b']],
    });
    expect(SiteScope.of(user(['research_nurse'])).whereAt('site_id', 3).params).toEqual([[]]);
    expect(SiteScope.of(user(['auditor'])).whereAt('site_id', 2)).toEqual({ sql: 'TRUE', params: [] });
  });

  it('answers 404 for another site', () => {
    expect(() => SiteScope.of(user(['research_nurse'], ['a'])).assertIncludes('b', 'Patient')).toThrow(
      'Patient not found',
    );
  });
});

describe('TOTP (RFC 6238)', () => {
  const secret = newTotpSecret();
  const t = 1_800_000_000_000; // a fixed instant, at the start of a 30-second step
  const step = t / 1000 / 30;

  it.each([
    ['the current code', totpCode(secret, t), null, step],
    ['a code one step old (clock drift)', totpCode(secret, t - 30_000), null, step - 1],
    ['a code one step ahead', totpCode(secret, t + 30_000), null, step + 1],
    ['a code two steps old', totpCode(secret, t - 60_000), null, null],
    ['a replay of the last accepted step', totpCode(secret, t), step, null],
    ['an older step than the last accepted', totpCode(secret, t - 30_000), step, null],
    ['not six digits', 'abcdef', null, null],
  ] as const)('%s', (_, code, lastStep, expected) => {
    expect(acceptTotp(secret, code, lastStep, t)).toBe(expected);
  });

  it('makes ten distinct recovery codes of 80 bits, compared without dashes or case', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^([0-9a-hjkmnp-tv-z]{4}-){3}[0-9a-hjkmnp-tv-z]{4}$/);
    expect(normaliseRecoveryCode(' ABCD-efgh-1234-5678 ')).toBe('abcdefgh12345678');
  });
});

describe('secret encryption', () => {
  it('round-trips, and refuses another key, another owner or a tampered ciphertext', () => {
    const key = deriveKey('k'.repeat(32), 'purpose');
    const sealed = encrypt(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed).toMatch(/^v1\./);
    expect(decrypt(key, sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => decrypt(deriveKey('k'.repeat(32), 'another purpose'), sealed, 'user-1')).toThrow();
    expect(() => decrypt(key, sealed, 'user-2')).toThrow();
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => decrypt(key, tampered, 'user-1')).toThrow();
    // A truncated authentication tag is refused, not checked on its first bytes only.
    const [version, iv, tag, body] = sealed.split('.');
    const short = [
      version,
      iv,
      Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url'),
      body,
    ].join('.');
    expect(() => decrypt(key, short, 'user-1')).toThrow('malformed ciphertext');
  });
});

describe('routeProblems', () => {
  const route = (r: Partial<RouteAccess>): RouteAccess => ({
    method: 'GET',
    path: '/x',
    handler: 'X.read',
    isPublic: false,
    roles: undefined,
    ...r,
  });

  it('names a route that is neither public nor has roles, or both, and only those', () => {
    expect(
      routeProblems([
        route({ isPublic: true }),
        route({ path: '/y', roles: ['admin'] }),
        route({ path: '/z', handler: 'Z.read' }),
        route({ path: '/w', roles: [] }),
        route({ path: '/v', isPublic: true, roles: ['admin'] }),
      ]),
    ).toEqual([
      'GET /z (Z.read) declares no roles: add @Roles(...) or @Public()',
      'GET /w (X.read) declares no roles: add @Roles(...) or @Public()',
      'GET /v (X.read) is both @Public() and @Roles(...): choose one',
    ]);
  });
});
