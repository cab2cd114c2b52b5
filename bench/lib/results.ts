import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round3 } from './stats.js';

/**
 * One row of the benchmark table (issue 7): our throughput and the bare baseline's, in the same unit, and
 * their ratio (ours ÷ baseline: higher is better, 1.0 the ceiling). A row without a baseline (the reminder lag)
 * carries its measure in `ours`, `baseline` null, and its target as a bound on `ours`.
 */
export interface BenchResult {
  name: string;
  ours: number;
  baseline: number | null;
  unit: string;
  ratio: number | null;
  /** e.g. '>= 0.6' (on the ratio) or '< 2 s' (on ours). */
  target: string;
  met: boolean;
  /** Medians, p99s, rounds and whatever else a reader needs to re-check the row. */
  details?: Record<string, unknown>;
}

/** A row whose target is a lower bound on the ratio of throughputs. */
export function ratioResult(
  name: string,
  ours: number,
  baseline: number,
  unit: string,
  minimum: number,
  details?: Record<string, unknown>,
): BenchResult {
  const ratio = ours / baseline;
  return { name, ours, baseline, unit, ratio, target: `>= ${minimum}`, met: ratio >= minimum, details };
}

export function markdownTable(results: readonly BenchResult[]): string {
  const lines = [
    '| benchmark | ours | baseline | unit | ratio | target | met |',
    '|---|---:|---:|---|---:|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${round3(r.ours)} | ${r.baseline === null ? '—' : round3(r.baseline)} | ${r.unit} | ${
          r.ratio === null ? '—' : r.ratio.toFixed(2)
        } | ${r.target} | ${r.met ? 'yes' : '**no**'} |`,
    ),
  ];
  return lines.join('\n');
}

/** Writes `bench/results/<date>.json` (the machine, the versions and every row); returns its path. */
export function writeResults(
  directory: string,
  results: readonly BenchResult[],
  machine: Record<string, unknown>,
  date = new Date(),
): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${date.toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify({ date: date.toISOString(), machine, results }, null, 2)}\n`);
  return file;
}
