import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { documentedEnvVars, GENERATED_SECRETS, loadConfig } from '../../libs/config/src/index.js';
import { MIGRATIONS } from '../../migrations/index.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('migrations/index.ts', () => {
  it('lists every migration file of the folder, oldest first', () => {
    const files = readdirSync(new URL('../../migrations/', import.meta.url)).filter((f) =>
      /^\d{13}-.+\.ts$/.test(f),
    );
    const fromFiles = files.sort().map((f) => f.replace(/^(\d{13})-(.+)\.ts$/, '$2$1'));
    expect(MIGRATIONS.map((m) => m.name)).toEqual(fromFiles);
  });
});

describe('the libs', () => {
  const libs = readdirSync(new URL('../../libs/', import.meta.url)).sort();

  it('are each a project of nest-cli.json, entered by its index', () => {
    const projects = (
      JSON.parse(read('nest-cli.json')) as {
        projects: Record<string, { type: string; root: string; entryFile: string }>;
      }
    ).projects;
    const listed = Object.entries(projects)
      .filter(([, p]) => p.type === 'library')
      .map(([name, p]) => [name, p.root, p.entryFile]);
    expect(listed.sort()).toEqual(libs.map((lib) => [lib, `libs/${lib}`, 'index']));
  });

  it('each have a layer in the import rules and a line in the README layout', () => {
    const rules = (
      createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
        forbidden: Array<{ name: string; from: { path?: string } }>;
      }
    ).forbidden;
    const layered = rules.filter((r) => r.name === 'layer-upward').map((r) => r.from.path);
    expect(layered.sort()).toEqual(libs.map((lib) => `^libs/${lib}/`));
    const readme = read('README.md');
    for (const lib of libs) expect(readme).toMatch(new RegExp(`^  ${lib}/ `, 'm'));
  });
});

describe('configuration documentation', () => {
  const names = documentedEnvVars().map((d) => d.name);

  it('has every variable in the README table and in .env.example', () => {
    const readme = read('README.md');
    const example = read('.env.example');
    for (const name of names) {
      expect(readme).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'));
      expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const services = compose.services;
  const command = (s: ComposeService) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''));

  it('has postgres, redis, a one-shot migrate, api, worker and web', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'web', 'worker']);
  });

  it('runs redis with noeviction and append-only persistence', () => {
    expect(command(services.redis)).toMatch(/--maxmemory-policy noeviction/);
    expect(command(services.redis)).toMatch(/--appendonly yes/);
  });

  it('gives postgres, redis, api, worker and web a health check', () => {
    for (const name of ['postgres', 'redis', 'api', 'worker', 'web'])
      expect(services[name].healthcheck?.test).toBeDefined();
  });

  it('migrates once after postgres is healthy, and starts api, worker and web only after the migration completed', () => {
    expect(services.migrate.depends_on?.postgres.condition).toBe('service_healthy');
    expect(services.migrate.restart ?? 'no').toBe('no');
    for (const name of ['api', 'worker', 'web']) {
      expect(services[name].depends_on?.migrate.condition).toBe('service_completed_successfully');
      expect(services[name].depends_on?.redis.condition).toBe('service_healthy');
    }
  });

  it('gives every process a configuration that passes production validation (secrets included)', () => {
    for (const name of ['migrate', 'api', 'worker', 'web']) {
      const environment = services[name].environment ?? {};
      for (const secret of Object.keys(GENERATED_SECRETS)) {
        expect({ name, secret, set: typeof environment[secret] === 'string' }).toEqual({
          name,
          secret,
          set: true,
        });
      }
      // As Compose interpolates on a fresh clone: ${VAR:-default} gives the default (an empty string counts as
      // unset); ${VAR:?message} must be set, so a stand-in of the right shape validates the rest.
      const resolved = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => {
          const fallback = /^\$\{[A-Z0-9_]+:-(.*)\}$/.exec(value);
          if (fallback) return [key, fallback[1]];
          if (!value.startsWith('${')) return [key, value];
          return [key, key === 'IDENTITY_MASTER_KEYS' ? `k1:${'x'.repeat(32)}` : 'x'.repeat(32)];
        }),
      );
      expect(() => loadConfig(resolved)).not.toThrow();
    }
  });

  it('runs the compiled entry points that package.json runs', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(command(services.migrate)).toContain('dist/apps/cli/src/main.js migrate');
    expect(scripts['start:api']).toContain('dist/apps/api/src/main.js');
    expect(command(services.api)).toContain('dist/apps/api/src/main.js');
    expect(scripts['start:worker']).toContain('dist/apps/worker/src/main.js');
    expect(command(services.worker)).toContain('dist/apps/worker/src/main.js');
    expect(scripts['start:web']).toContain('dist/apps/web/src/main.js');
    expect(command(services.web)).toContain('dist/apps/web/src/main.js');
  });

  it('connects the apps as the application role and migrates as the owner role', () => {
    expect(services.api.environment?.DATABASE_URL).toMatch(/^postgres:\/\/ecmo_app:/);
    expect(services.worker.environment?.DATABASE_URL).toMatch(/^postgres:\/\/ecmo_app:/);
    expect(services.web.environment?.DATABASE_URL).toMatch(/^postgres:\/\/ecmo_app:/);
    expect(services.migrate.environment?.DATABASE_MIGRATION_URL).toMatch(/^postgres:\/\/ecmo_owner:/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in one stage and runs as a non-root user in another', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^FROM .* AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^USER (node|\d+)$/m);
    expect(dockerfile).toMatch(/COPY --from=build .*dist/);
  });
});
