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
        expect.stringMatching(/^WEB_SESSION_SECRET must be longer than or equal to 32 characters/),
        expect.stringMatching(/^IDENTITY_MASTER_KEYS must be id:secret pairs/),
        expect.stringMatching(/^IDENTITY_LOOKUP_KEY must be longer than or equal to 32 characters/),
        expect.stringMatching(/^EXPORT_PSEUDONYM_KEY must be longer than or equal to 32 characters/),
      ]);
    }
    const secrets = {
      JWT_SECRET: 'j'.repeat(32),
      MFA_ENCRYPTION_KEY: 'm'.repeat(32),
      WEB_SESSION_SECRET: 'w'.repeat(32),
      IDENTITY_MASTER_KEYS: `k1:${'a'.repeat(32)},k0:${'b'.repeat(32)}`,
      IDENTITY_LOOKUP_KEY: 'l'.repeat(32),
      EXPORT_PSEUDONYM_KEY: 'p'.repeat(32),
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

  it('asks for what the chosen reminder providers need, and nothing when they are the log', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.split(' ')[0]);
      }
    };
    expect(problems({})).toEqual([]);
    expect(problems({ SMS_PROVIDER: 'notify' })).toEqual(['NOTIFY_API_KEY', 'NOTIFY_SMS_TEMPLATE_ID']);
    expect(problems({ EMAIL_PROVIDER: 'notify' })).toEqual(['NOTIFY_API_KEY', 'NOTIFY_EMAIL_TEMPLATE_ID']);
    expect(problems({ EMAIL_PROVIDER: 'smtp' })).toEqual(['SMTP_URL', 'SMTP_FROM']);
    expect(problems({ SMS_PROVIDER: 'smtp' })).toEqual(['SMS_PROVIDER']);
    const key = 'live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0';
    expect(
      problems({
        SMS_PROVIDER: 'notify',
        NOTIFY_API_KEY: key,
        NOTIFY_SMS_TEMPLATE_ID: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
        EMAIL_PROVIDER: 'smtp',
        SMTP_URL: 'smtps://user:pw@mail.example.org:465',
        SMTP_FROM: 'Follow-up <followup@example.org>',
      }),
    ).toEqual([]);
    // A key cut short by a copy and paste: named, never shown.
    try {
      loadConfig({ SMS_PROVIDER: 'notify', NOTIFY_API_KEY: key.slice(0, -2), NOTIFY_SMS_TEMPLATE_ID: 'x' });
      throw new Error('accepted');
    } catch (error) {
      const lines = (error as ConfigError).problems;
      expect(lines[0]).toMatch(/^NOTIFY_API_KEY must be a GOV.UK Notify API key .*\(value hidden\)/);
      expect(lines.join()).not.toContain(key.slice(0, 20));
      expect(lines[1]).toMatch(/^NOTIFY_SMS_TEMPLATE_ID must be a UUID/);
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
