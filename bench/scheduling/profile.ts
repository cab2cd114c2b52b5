import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Runs `work` under V8's CPU profiler in this process when `directory` is set (BENCH_CPU_PROF_DIR), writing
 * `<name>.cpuprofile` there (open it in Chrome DevTools, or `node --cpu-prof`'s tools): a profile of exactly
 * one round, the set-up and the other side left out. Without a directory, just runs `work`.
 */
export async function profiled<T>(
  directory: string | undefined,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!directory) return work();
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${name}.cpuprofile`), JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
}
