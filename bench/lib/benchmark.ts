import type { BenchEnvironment } from './environment.js';
import type { BenchResult } from './results.js';

/** Rounds and sizes, from the command line: `--quick` for a smoke run while developing. */
export interface BenchOptions {
  quick: boolean;
  log: (line: string) => void;
}

/** A benchmark: its rows of the table, measured in a database and Redis prefix of its own. */
export interface Benchmark {
  name: string;
  run(env: BenchEnvironment, options: BenchOptions): Promise<BenchResult[]>;
}
