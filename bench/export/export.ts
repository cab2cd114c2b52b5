import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { copyQuery, cutOffOf, EXPORT_TABLES } from '../../libs/exports/src/dataset/tables.js';
import { generateBulk } from '../bulk/generate.js';
import type { Benchmark, BenchOptions } from '../lib/benchmark.js';
import { BENCH_DIST, pinned, SERVER_CORES, type BenchEnvironment } from '../lib/environment.js';
import type { BenchResult } from '../lib/results.js';
import { median, percentile } from '../lib/stats.js';
import { londonDay } from '../../libs/time/src/index.js';

const FILE = 'follow_up_assessments.csv';
const MAX_GROWTH_BYTES = 64 * 2 ** 20;

interface ChildResult {
  rows: number;
  bytes: number;
  ms: number;
  rssBefore: number;
  peakRss: number;
}

async function run(command: string, args: string[], env: Record<string, string>, stdoutFile?: string) {
  const fd = stdoutFile ? openSync(stdoutFile, 'w') : undefined;
  try {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`${command} ${args.join(' ').slice(0, 200)} exited ${code}: ${err}`);
    return { out, ms: performance.now() - started };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Our export of the assessments file, in a pinned process of its own. */
async function ours(env: BenchEnvironment, cutOff: string, out: string): Promise<ChildResult> {
  const [command, args] = pinned(SERVER_CORES, process.execPath, [
    `${BENCH_DIST}/bench/export/export-child.js`,
    FILE,
    cutOff,
    out,
  ]);
  const { out: printed } = await run(command, args, env.env);
  return JSON.parse(printed) as ChildResult;
}

/** The bare baseline: psql running the same `COPY (…) TO STDOUT`, pinned to the same core, into a file. */
async function baseline(
  env: BenchEnvironment,
  cutOff: string,
  out: string,
): Promise<{ ms: number; bytes: number }> {
  const table = EXPORT_TABLES.find((t) => t.file === FILE)!;
  const [command, args] = pinned(SERVER_CORES, 'psql', [
    env.env.DATABASE_URL,
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    copyQuery(table, cutOffOf(cutOff)),
  ]);
  const { ms } = await run(command, args, env.env, out);
  return { ms, bytes: statSync(out).size };
}

async function analyse(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

async function assessments(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM follow_up_assessment WHERE voided_at IS NULL`,
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/**
 * Issue 7's export row: the pseudonymised patient-level CSV of ~1,000,000 assessment rows, then ~2,000,000,
 * against psql's `COPY (same query) TO STDOUT`; throughput in rows per second, and the memory the export
 * process grows by while it streams (peak resident set minus the set before the COPY).
 */
export const exportBenchmark: Benchmark = {
  name: 'export',
  async run(env: BenchEnvironment, options: BenchOptions): Promise<BenchResult[]> {
    const targets = options.quick ? [3_000, 6_000] : [1_000_000, 2_000_000];
    const chunk = options.quick ? 1_000 : 100_000;
    const rounds = options.quick ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ecmo-bench-export-'));
    const cutOff = londonDay(new Date());
    const now = new Date();
    const results: BenchResult[] = [];
    let loaded = 0;
    let rows = 0;
    try {
      for (const [step, target] of targets.entries()) {
        // Survivors on yearly visits, operations up to four years back: about 2.8 assessments per patient.
        while (rows < target) {
          const started = Date.now();
          const summary = await generateBulk(env.env.DATABASE_MIGRATION_URL, env.config(), {
            patients: chunk,
            sites: 20,
            seed: 20261124,
            offset: loaded,
            now,
            cohortNow: new Date(now.getTime() - 1500 * 86_400_000),
            extendedFollowUp: 1,
            siteCodePrefix: 'BX',
          });
          loaded += chunk;
          rows = await assessments(env.env.DATABASE_URL);
          options.log(
            `loaded ${summary.patients} more patients in ${Math.round((Date.now() - started) / 1000)} s: ${rows} assessment rows in all`,
          );
        }
        // Fresh statistics for the planner, as autovacuum would have gathered (it is off on the CI machine).
        await analyse(env.env.DATABASE_MIGRATION_URL);
        const oursMs: number[] = [];
        const baseMs: number[] = [];
        const growth: number[] = [];
        let fileRows = 0;
        // A warm-up of each (caches), then the measured rounds, alternating.
        for (let round = 0; round <= rounds; round++) {
          const mine = await ours(env, cutOff, join(dir, 'ours.csv'));
          const bare = await baseline(env, cutOff, join(dir, 'bare.csv'));
          if (round === 0) continue;
          oursMs.push(mine.ms);
          baseMs.push(bare.ms);
          growth.push(mine.peakRss - mine.rssBefore);
          fileRows = mine.rows;
          options.log(
            `round ${round}: ours ${Math.round(mine.ms)} ms (+${(growth.at(-1)! / 2 ** 20).toFixed(1)} MB), COPY ${Math.round(bare.ms)} ms`,
          );
        }
        const oursRate = fileRows / (median(oursMs) / 1000);
        const baseRate = fileRows / (median(baseMs) / 1000);
        const worstGrowth = Math.max(...growth);
        const ratio = oursRate / baseRate;
        results.push({
          name: `export: assessments CSV, ${(fileRows / 1e6).toFixed(2)}M rows`,
          ours: oursRate,
          baseline: baseRate,
          unit: 'rows/s',
          ratio,
          target: '>= 0.5 and memory growth < 64 MB',
          met: ratio >= 0.5 && worstGrowth < MAX_GROWTH_BYTES,
          details: {
            step: step + 1,
            rows: fileRows,
            rounds,
            oursMedianMs: median(oursMs),
            oursP99Ms: percentile(oursMs, 99),
            baselineMedianMs: median(baseMs),
            baselineP99Ms: percentile(baseMs, 99),
            memoryGrowthMB: Number((worstGrowth / 2 ** 20).toFixed(1)),
            note: 'ours: the COPY through the pseudonymising stream to a file, timed inside the process; baseline: psql process wall time, output to a file; both pinned to core 0 (PostgreSQL not pinned)',
          },
        });
      }
      return results;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
