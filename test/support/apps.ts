import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import pg from 'pg';
import { createApi } from '../../apps/api/src/bootstrap.js';
import { createWorker } from '../../apps/worker/src/bootstrap.js';
import { loadConfig, type AppConfig } from '../../libs/config/src/index.js';
import { validateResponses } from './response-validation.js';

/** The configuration of this Jest worker (its database, the run's Redis prefix), with overrides. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

/** The api, in this process, every answer checked against the committed OpenAPI document. */
export function startApi(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  return createApi(testConfig(overrides), { shutdownHooks: false, beforeInit: validateResponses });
}

export function startWorker(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  return createWorker(testConfig(overrides), { shutdownHooks: false });
}

/** A raw connection to this worker's database, as the application role or as the owner. */
export async function connect(role: 'app' | 'owner'): Promise<pg.Client> {
  const config = testConfig();
  const client = new pg.Client({
    connectionString: role === 'app' ? config.DATABASE_URL : config.DATABASE_MIGRATION_URL,
  });
  await client.connect();
  return client;
}

/** Polls until the check returns a value other than undefined, or fails after the timeout. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A loopback port free right now, below the kernel's ephemeral range (32768–60999 here), for a server a test
 * stops and starts again on the same port. A port from the ephemeral range can be taken while the server is
 * down, as the local end of any outgoing connection, or by a client retrying that very port (TCP connects to
 * itself when source and destination ports coincide): the server then cannot come back, or a client talks to
 * itself. Ports below the range are only ever taken by a listener that asks for them.
 */
export async function restartablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    server.close();
    await once(server, 'close');
    return port;
  }
  throw new Error('no free loopback port in 20000–31999');
}

/** A loopback port free right now, for a process or server a test starts. */
export async function sparePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A compiled api or worker process a test started, with what it printed. */
export interface AppProcess {
  readonly process: ChildProcess;
  /** Its HTTP port (the api's PORT, the worker's WORKER_PORT, the web app's WEB_PORT). */
  readonly port: number;
  output(): string;
  /** SIGTERM, then waits for the exit (nothing if it has exited already). */
  stop(): Promise<void>;
}
export type WorkerProcess = AppProcess;

/** Starts the compiled worker (`dist/`) with this Jest worker's environment and `env`; resolves once ready. */
export function spawnWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  return spawnApp('worker', env);
}

/** The variable each app reads its HTTP port from. */
const PORT_VARIABLE = { api: 'PORT', worker: 'WORKER_PORT', web: 'WEB_PORT' } as const;

/** Starts a compiled app (`dist/`) with this Jest worker's environment and `env`, once ready. */
export async function spawnApp(
  kind: 'api' | 'worker' | 'web',
  env: Record<string, string> = {},
): Promise<AppProcess> {
  const port = await sparePort();
  const child = spawn(process.execPath, [`dist/apps/${kind}/src/main.js`], {
    env: {
      ...process.env,
      [PORT_VARIABLE[kind]]: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const app: AppProcess = {
    process: child,
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  await eventually(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${kind} exited: ${output}`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
      return ready?.ok ? true : undefined;
    },
    30_000,
    100,
  );
  return app;
}
