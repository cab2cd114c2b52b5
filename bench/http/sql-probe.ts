import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppProcess } from '../lib/environment.js';

const TRACER = pathToFileURL(new URL('./trace-sql.js', import.meta.url).pathname).href;

export interface TracedStatement {
  readonly text: string;
  readonly values: unknown[];
}

/**
 * The statements a server sends to PostgreSQL for `requests` (run one after the other): the server is
 * started with the trace-sql preload, what it runs while starting is discarded, and it is stopped after.
 * Used once per side before measuring (a traced process is never measured).
 */
export async function traceStatements(
  start: (options: { nodeArgs: string[]; env: Record<string, string> }) => Promise<AppProcess>,
  requests: () => Promise<void>,
): Promise<TracedStatement[]> {
  const directory = mkdtempSync(join(tmpdir(), 'ecmo-bench-sql-'));
  const file = join(directory, 'statements.jsonl');
  const app = await start({ nodeArgs: ['--import', TRACER], env: { BENCH_TRACE_SQL: file } });
  try {
    // Readiness checks and start-up work ran already: keep only what the requests cause.
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(file, '');
    await requests();
    await new Promise((resolve) => setTimeout(resolve, 200));
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as TracedStatement);
  } finally {
    await app.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}
