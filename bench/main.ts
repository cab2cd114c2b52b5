import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Benchmark } from './lib/benchmark.js';
import { BenchEnvironment } from './lib/environment.js';
import { markdownTable, writeResults, type BenchResult } from './lib/results.js';

/** Every benchmark, in the order of the table in issue 7; loaded only when asked for. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  read: async () => (await import('./http/read.js')).benchmark,
  write: async () => (await import('./http/write.js')).benchmark,
  scheduling: async () => (await import('./scheduling/scheduling.js')).benchmark,
  export: async () => (await import('./export/export.js')).exportBenchmark,
  'reminder-lag': async () => (await import('./reminder-lag/reminder-lag.js')).benchmark,
  web: async () => (await import('./web/web.js')).benchmark,
};

function version(command: string): string {
  try {
    return execSync(command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: version('psql -XAtc "show server_version" postgres://postgres@127.0.0.1:5432/postgres'),
    redis: version('redis-server --version'),
    versions: Object.fromEntries(
      ['@nestjs/core', '@nestjs/platform-fastify', 'typeorm', 'pg', 'bullmq', 'ioredis'].map((name) => [
        name,
        pkg.dependencies[name],
      ]),
    ),
  };
}

/**
 * `npm run bench [-- <name>...] [--quick] [--no-save]`: runs the benchmarks of issue 7 (all, or those named),
 * each against its bare baseline in the same run, prints the table and writes `bench/results/<date>.json`.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, 'no-save': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const results: BenchResult[] = [];
  const started = new Date();
  for (const name of names) {
    const benchmark = await BENCHMARKS[name]();
    log(`${name}: preparing`);
    const env = await BenchEnvironment.create();
    try {
      const rows = await benchmark.run(env, { quick: values.quick, log: (line) => log(`${name}: ${line}`) });
      results.push(...rows);
      process.stdout.write(`${markdownTable(rows)}\n\n`);
      // Written after each benchmark, so that a long run stopped part-way keeps what it measured.
      if (!values['no-save'] && !values.quick) writeResults('bench/results', results, machine(), started);
    } finally {
      await env.dispose();
    }
  }
  process.stdout.write(`${markdownTable(results)}\n`);
  if (!values['no-save'] && !values.quick) {
    log(`results written to ${writeResults('bench/results', results, machine(), started)}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
