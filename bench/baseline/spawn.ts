import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AppProcess } from '../lib/environment.js';
import { pinned, SERVER_CORES, sparePort, waitFor, type BenchEnvironment } from '../lib/environment.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * Starts the bare Fastify baseline (./server.ts) as a process of its own, pinned to `cores` (the api's core)
 * with taskset where the machine has it, connected as the api's least-privilege role (`DATABASE_URL`) with a
 * pool of the api's `DATABASE_POOL_SIZE`; resolves once `/health` answers. The caller stops it.
 */
export async function startBaseline(
  env: BenchEnvironment,
  options: { cores?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  const port = await sparePort();
  const config = env.config(options.env);
  const [command, args] = pinned(options.cores ?? SERVER_CORES, process.execPath, [
    ...(options.nodeArgs ?? []),
    SERVER,
  ]);
  const child = spawn(command, args, {
    env: {
      ...env.env,
      ...options.env,
      BASELINE_PORT: String(port),
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_POOL_SIZE: String(config.DATABASE_POOL_SIZE),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const app: AppProcess = {
    port,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`baseline exited: ${output}`);
        const ready = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
        return ready?.ok ? true : undefined;
      },
      30_000,
      'baseline ready',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return app;
}
