/**
 * A preload (`node --import <this file's URL> …`) that records every statement a process sends through `pg`,
 * one JSON line each ({ text, values }), to the file named by BENCH_TRACE_SQL. The HTTP benchmarks start the
 * api and the baseline with it once, before measuring, to list the statements one request runs on each
 * side (the api's come from TypeORM, so reading them is the only way to be sure); never while measuring.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface QueryConfig {
  text?: string;
  values?: unknown[];
}

const file = process.env.BENCH_TRACE_SQL;
if (file) {
  const pg = createRequire(import.meta.url)('pg') as {
    Client: { prototype: { query: (...args: unknown[]) => unknown } };
  };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function traced(this: unknown, ...args: unknown[]): unknown {
    const [first, second] = args;
    const config: QueryConfig =
      typeof first === 'string'
        ? { text: first, values: Array.isArray(second) ? second : undefined }
        : (first ?? {});
    if (typeof config.text === 'string') {
      appendFileSync(file, `${JSON.stringify({ text: config.text, values: config.values ?? [] })}\n`);
    }
    return query.apply(this, args);
  };
}
