import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import pg from 'pg';
import { GENERATED_SECRETS, loadConfig, type AppConfig } from '../../libs/config/src/index.js';
import { runMigrations } from '../../libs/database/src/migrate.js';
import { parsePostgresUrl, withDatabase } from '../../libs/database/src/postgres-url.js';
import { ensureRolesAndDatabase, lockDownDatabase } from '../../libs/database/src/setup.js';
import { dropDatabases, deleteRedisKeys } from '../../libs/database/src/testing/test-databases.js';
import { MIGRATIONS } from '../../migrations/index.js';

/** Cores for the process under test and for the load generator, so they do not compete (2-core machine). */
export const SERVER_CORES = '0';
export const CLIENT_CORES = '1';

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

/**
 * Where the compiled apps are, relative to the working directory or absolute: `dist` (what `npm run build`
 * writes), or BENCH_DIST when the benchmark was compiled elsewhere (`tsc --outDir`), so that a concurrent
 * `npm run build` (which empties `dist`) cannot pull the apps from under a running benchmark.
 */
export const BENCH_DIST = process.env.BENCH_DIST ?? 'dist';

/** The command and arguments that run `command` pinned to `cores` with taskset, where the machine has it. */
export function pinned(cores: string, command: string, args: readonly string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', cores, command, ...args]] : [command, [...args]];
}

/**
 * Pins this process (the load generator, the bench's own client) to `cores`, where the machine can: every
 * thread of it (`-a`: V8's and libuv's helper threads exist already and would stay on any core otherwise).
 */
export function pinSelf(cores: string): void {
  if (hasTaskset) spawnSync('taskset', ['-a', '-cp', cores, String(process.pid)], { stdio: 'ignore' });
}

export async function sparePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A compiled app (api or worker) a benchmark started, pinned to cores. */
export interface AppProcess {
  readonly port: number;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A database and a Redis prefix of the benchmark's own (`ecmo_bench_<pid>`, `ecmo-bench-<pid>`), migrated as
 * `setup` migrates, with random secrets: the shared development database is never touched, and `dispose`
 * drops both. The apps run as in production (`NODE_ENV=production`, info logs, written to nowhere).
 */
export class BenchEnvironment {
  private readonly processes = new Set<ChildProcess>();

  private constructor(
    readonly env: Record<string, string>,
    readonly database: string,
  ) {}

  static async create(): Promise<BenchEnvironment> {
    const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
    const database = `ecmo_bench_${process.pid}`;
    const appUrl = withDatabase(base.DATABASE_URL, database);
    const ownerUrl = withDatabase(base.DATABASE_MIGRATION_URL, database);
    await ensureRolesAndDatabase({ adminUrl: base.DATABASE_ADMIN_URL, migrationUrl: ownerUrl, appUrl });
    await runMigrations(ownerUrl, MIGRATIONS);
    await lockDownDatabase(base.DATABASE_ADMIN_URL, database, parsePostgresUrl(ownerUrl).user);
    const secrets = Object.fromEntries(
      Object.entries(GENERATED_SECRETS).map(([name, make]) => [name, make()]),
    );
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...secrets,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: appUrl,
      DATABASE_MIGRATION_URL: ownerUrl,
      DATABASE_ADMIN_URL: base.DATABASE_ADMIN_URL,
      REDIS_URL: base.REDIS_URL,
      REDIS_PREFIX: `ecmo-bench-${process.pid}`,
    };
    return new BenchEnvironment(env, database);
  }

  /** The configuration the apps load from this environment (with `overrides`). */
  config(overrides: Record<string, string> = {}): AppConfig {
    return loadConfig({ ...this.env, ...overrides });
  }

  /**
   * Starts the compiled api or worker (`dist/`) pinned to `cores`; resolves once `/health/ready` answers 200.
   * Its logs go nowhere unless `keepOutput` (kept in memory, for a benchmark that reads them).
   */
  spawnApp(
    kind: 'api' | 'worker' | 'web',
    options: { cores?: string; env?: Record<string, string>; keepOutput?: boolean; nodeArgs?: string[] } = {},
  ): Promise<AppProcess> {
    return this.spawnServer(kind, [...(options.nodeArgs ?? []), `${BENCH_DIST}/apps/${kind}/src/main.js`], {
      cores: options.cores,
      env: (port) => ({
        [kind === 'api' ? 'PORT' : kind === 'web' ? 'WEB_PORT' : 'WORKER_PORT']: String(port),
        ...options.env,
      }),
      keepOutput: options.keepOutput,
      readyPath: '/health/ready',
      readyTimeoutMs: 60_000,
    });
  }

  /**
   * Starts `node <args>` pinned to `cores`, with this environment plus `env(port)` (a spare port it is to
   * listen on); resolves once `readyPath` answers 2xx. The process is stopped by `dispose` if the caller
   * has not stopped it.
   */
  async spawnServer(
    label: string,
    nodeArgs: readonly string[],
    options: {
      cores?: string;
      env: (port: number) => Record<string, string>;
      keepOutput?: boolean;
      readyPath: string;
      readyTimeoutMs: number;
    },
  ): Promise<AppProcess> {
    const port = await sparePort();
    const [command, args] = pinned(options.cores ?? SERVER_CORES, process.execPath, nodeArgs);
    const child = spawn(command, args, {
      env: { ...this.env, ...options.env(port) },
      stdio: ['ignore', options.keepOutput ? 'pipe' : 'ignore', 'pipe'],
    });
    this.processes.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const app: AppProcess = {
      port,
      process: child,
      output: () => output,
      stop: async () => {
        this.processes.delete(child);
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      },
    };
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${label} exited: ${output}`);
        const ready = await fetch(`http://127.0.0.1:${port}${options.readyPath}`).catch(() => null);
        return ready?.ok ? true : undefined;
      },
      options.readyTimeoutMs,
      `${label} ready`,
    );
    return app;
  }

  /** Stops what the benchmark started, drops its database and deletes its Redis keys. */
  async dispose(): Promise<void> {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.processes.clear();
    const saved = { ...process.env };
    Object.assign(process.env, { NODE_ENV: 'test', DATABASE_ADMIN_URL: this.env.DATABASE_ADMIN_URL });
    try {
      await dropDatabases([this.database]);
      await deleteRedisKeys(this.env.REDIS_PREFIX);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }
}

/**
 * A pg pool for a benchmark's own connections. A connection the server ends while it is idle (the
 * benchmark's database is dropped with FORCE at the end) is no failure: without a listener, pg's pool would
 * throw it as an unhandled error and end the whole run.
 */
export function benchPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  return pool;
}
