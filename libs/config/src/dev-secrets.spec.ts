import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevelopmentSecrets, GENERATED_SECRETS } from './dev-secrets.js';
import { loadConfig } from './load-config.js';

const envFile = () => join(mkdtempSync(join(tmpdir(), 'ecmo-secrets-')), '.env');

describe('ensureDevelopmentSecrets', () => {
  it('writes every missing secret once, with values the configuration accepts, readable by the owner only', () => {
    const file = envFile();
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'development' };
    expect(ensureDevelopmentSecrets(env, file).sort()).toEqual(Object.keys(GENERATED_SECRETS).sort());
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(() => loadConfig({ ...env, NODE_ENV: 'production' })).not.toThrow();
    const written = readFileSync(file, 'utf8');
    // A second run finds them all in the file and changes nothing.
    expect(ensureDevelopmentSecrets({ NODE_ENV: 'development' }, file)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(written);
  });

  it('keeps what .env or the environment already sets and adds only the rest', () => {
    const file = envFile();
    writeFileSync(file, 'PORT=4000\nJWT_SECRET=kept-from-the-file-0123456789abcdef');
    const env: NodeJS.ProcessEnv = { MFA_ENCRYPTION_KEY: 'kept-from-the-environment-0123456789' };
    expect(ensureDevelopmentSecrets(env, file).sort()).toEqual([
      'EXPORT_PSEUDONYM_KEY',
      'IDENTITY_LOOKUP_KEY',
      'IDENTITY_MASTER_KEYS',
      'WEB_SESSION_SECRET',
    ]);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^PORT=4000\nJWT_SECRET=kept-from-the-file-0123456789abcdef\n# Generated/);
    expect(text).not.toContain('MFA_ENCRYPTION_KEY');
    expect(env.IDENTITY_MASTER_KEYS).toMatch(/^dev1:\S{32,}$/);
  });

  it('never writes in production, where a missing secret is a configuration error', () => {
    const file = envFile();
    expect(ensureDevelopmentSecrets({ NODE_ENV: 'production' }, file)).toEqual([]);
    expect(() => readFileSync(file)).toThrow();
  });
});
