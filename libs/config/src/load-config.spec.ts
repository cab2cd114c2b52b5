import { trustProxySetting } from './app-config.js';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('gives a complete local configuration from an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toMatch(/^postgres:\/\/ecmo_app@?/);
    expect(config.API_DOCS_ENABLED).toBe(true);
  });

  it.each([
    [{ PORT: '4000' }, 'PORT', 4000],
    [{ API_DOCS_ENABLED: 'false' }, 'API_DOCS_ENABLED', false],
    [{ API_DOCS_ENABLED: '0' }, 'API_DOCS_ENABLED', false],
    [{ LOG_LEVEL: 'debug' }, 'LOG_LEVEL', 'debug'],
    [{ PORT: '' }, 'PORT', 3000],
    [{ TRUST_PROXY: '10.0.0.0/8, 192.168.1.10' }, 'TRUST_PROXY', '10.0.0.0/8, 192.168.1.10'],
  ])('reads %j', (env, key, expected) => {
    expect((loadConfig(env) as unknown as Record<string, unknown>)[key]).toBe(expected);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT .*got "eighty"/],
    [{ PORT: '70000' }, /^PORT must not be greater than 65535/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of the following values/],
    [{ REDIS_PREFIX: 'a:b' }, /^REDIS_PREFIX must be 1-64 letters.*no colon/],
    [{ API_DOCS_ENABLED: 'perhaps' }, /^API_DOCS_ENABLED must be a boolean value/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY must be false or a list .*"true" is not an IP address/],
    [{ TRUST_PROXY: '1' }, /^TRUST_PROXY must be false or a list .*"1" is not an IP address/],
    [{ TRUST_PROXY: '99' }, /^TRUST_PROXY .*"99" is not an IP address/],
    [
      { TRUST_PROXY: '0.0.0.0/1,128.0.0.0/1' },
      /^TRUST_PROXY .*"0.0.0.0\/1" must have a prefix from \/8 to \/32/,
    ],
    [{ TRUST_PROXY: '::/1' }, /^TRUST_PROXY .*"::\/1" must have a prefix from \/32 to \/128/],
    [{ TRUST_PROXY: '10.0.0.0/8/1' }, /^TRUST_PROXY .*is not an IP address or CIDR range/],
    [
      { JWT_SECRET: 'short' },
      /^JWT_SECRET must be longer than or equal to 32 characters \(got \(value hidden\)\)/,
    ],
  ])('refuses %j with a line naming the variable', (env, message) => {
    try {
      loadConfig(env);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
    }
  });

  it('requires every secret in production (they have no default)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^JWT_SECRET must be longer than or equal to 32 characters/),
        expect.stringMatching(/^MFA_ENCRYPTION_KEY must be longer than or equal to 32 characters/),
        expect.stringMatching(/^IDENTITY_MASTER_KEYS must be id:secret pairs/),
        expect.stringMatching(/^IDENTITY_LOOKUP_KEY must be longer than or equal to 32 characters/),
      ]);
    }
    const secrets = {
      JWT_SECRET: 'j'.repeat(32),
      MFA_ENCRYPTION_KEY: 'm'.repeat(32),
      IDENTITY_MASTER_KEYS: `k1:${'a'.repeat(32)},k0:${'b'.repeat(32)}`,
      IDENTITY_LOOKUP_KEY: 'l'.repeat(32),
    };
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).JWT_SECRET).toBe(secrets.JWT_SECRET);
  });

  it('turns TRUST_PROXY into what Fastify expects: none, or the listed proxies', () => {
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('10.0.0.0/8, 192.168.1.10, fd00::/64')).toEqual([
      '10.0.0.0/8',
      '192.168.1.10',
      'fd00::/64',
    ]);
  });

  it('never prints the value of a sensitive variable', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:s3cret@host/db' });
      throw new Error('accepted');
    } catch (error) {
      const [problem] = (error as ConfigError).problems;
      expect(problem).toMatch(/^DATABASE_URL must be a postgres:\/\/ URL/);
      expect(problem).toContain('(value hidden)');
      expect(problem).not.toContain('s3cret');
    }
  });

  it('lists every bad variable, one line each', () => {
    expect(() => loadConfig({ PORT: 'x', WORKER_PORT: 'y' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'x', WORKER_PORT: 'y' });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'WORKER_PORT']);
    }
  });
});
