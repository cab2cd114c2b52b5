import { fileURLToPath } from 'node:url';
import type { AppProcess, BenchEnvironment } from '../lib/environment.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * Starts the bare Fastify baseline (./server.ts) as a process of its own, pinned to `cores` (the api's core)
 * with taskset where the machine has it, connected as the api's least-privilege role (`DATABASE_URL`) with a
 * pool of the api's `DATABASE_POOL_SIZE`; resolves once `/health` answers. The caller stops it.
 */
export function startBaseline(
  env: BenchEnvironment,
  options: { cores?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  const config = env.config(options.env);
  return env.spawnServer('baseline', [...(options.nodeArgs ?? []), SERVER], {
    cores: options.cores,
    env: (port) => ({
      ...options.env,
      BASELINE_PORT: String(port),
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_POOL_SIZE: String(config.DATABASE_POOL_SIZE),
    }),
    keepOutput: true,
    readyPath: '/health',
    readyTimeoutMs: 30_000,
  });
}
