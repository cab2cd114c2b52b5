import pg from 'pg';
import { processCpuMs, shortStatement } from '../lib/probes.js';

type Query = (...args: unknown[]) => unknown;
type Connection = { connectionParameters?: { application_name?: string } };

/**
 * Records the statements this process sends through `pg` (TypeORM's pool and the baseline's alike) while
 * `work` runs, per application_name: a count, and the texts of the first `keep`. Used on the warm-up rounds
 * and on one traced patient only (negligible per statement, but never in a measured round).
 */
export async function recordStatements<T>(
  work: () => Promise<T>,
  keep = 0,
): Promise<{ result: T; byApplication: Record<string, number>; texts: string[]; kept: Statement[] }> {
  const prototype = pg.Client.prototype as unknown as { query: Query };
  const original = prototype.query;
  const byApplication: Record<string, number> = {};
  const texts: string[] = [];
  const kept: Statement[] = [];
  prototype.query = function recorded(this: Connection, ...args: unknown[]) {
    const name = this.connectionParameters?.application_name ?? 'unknown';
    byApplication[name] = (byApplication[name] ?? 0) + 1;
    if (texts.length < keep) {
      const [first, second] = args;
      const config = (typeof first === 'string' ? { text: first, values: second } : (first ?? {})) as {
        text?: unknown;
        values?: unknown;
      };
      if (typeof config.text === 'string') {
        texts.push(`${name}: ${shortStatement(config.text, 120)}`);
        kept.push({ text: config.text, values: Array.isArray(config.values) ? config.values : [] });
      }
    }
    return original.apply(this, args);
  };
  try {
    return { result: await work(), byApplication, texts, kept };
  } finally {
    prototype.query = original;
  }
}

export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/** What EXPLAIN ANALYZE says of one read: its plan's top nodes and indexes, and its times (ms). */
export interface Explained {
  readonly statement: string;
  readonly plan: string;
  readonly planningMs: number;
  readonly executionMs: number;
}

/**
 * EXPLAIN (ANALYZE) of every read among `statements` (SELECTs without locks and set_config), with their
 * values, outside any transaction: whether a hot read uses an index, and what it costs PostgreSQL.
 */
export async function explainReads(pool: pg.Pool, statements: readonly Statement[]): Promise<Explained[]> {
  const explained: Explained[] = [];
  for (const { text, values } of statements) {
    if (!/^\s*SELECT/i.test(text) || /FOR (UPDATE|SHARE)|set_config/i.test(text)) continue;
    const { rows } = await pool.query<{
      'QUERY PLAN': Array<{ Plan: PlanNode; 'Planning Time': number; 'Execution Time': number }>;
    }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
    const [root] = rows[0]['QUERY PLAN'];
    const nodes: string[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(node['Index Name'] ? `${node['Node Type']} (${node['Index Name']})` : node['Node Type']);
      node.Plans?.forEach(walk);
    };
    walk(root.Plan);
    explained.push({
      statement: shortStatement(text, 100),
      plan: nodes.join(' > '),
      planningMs: root['Planning Time'],
      executionMs: root['Execution Time'],
    });
  }
  return explained;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * CPU used during a round, by this process, by another (the worker) and by the PostgreSQL backends of each
 * application name in the benchmark's database (pids from pg_stat_activity; local servers only).
 */
export class CpuAccount {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly database: string,
    private readonly pids: Record<string, number>,
    private readonly start: {
      processes: Record<string, number | null>;
      backends: Map<number, { app: string; ms: number }>;
    },
  ) {}

  static async begin(pool: pg.Pool, database: string, pids: Record<string, number>): Promise<CpuAccount> {
    return new CpuAccount(pool, database, pids, await CpuAccount.sample(pool, database, pids));
  }

  private static async sample(pool: pg.Pool, database: string, pids: Record<string, number>) {
    const { rows } = await pool.query<{ pid: number; application_name: string }>(
      `SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1`,
      [database],
    );
    const backends = new Map<number, { app: string; ms: number }>();
    for (const row of rows) {
      const ms = processCpuMs(row.pid);
      if (ms !== null) backends.set(row.pid, { app: row.application_name, ms });
    }
    const processes = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]),
    );
    return { processes, backends };
  }

  /** CPU ms since `begin`, per process name and per `postgres:<application_name>`. */
  async end(): Promise<Record<string, number>> {
    const now = await CpuAccount.sample(this.pool, this.database, this.pids);
    const used: Record<string, number> = {};
    for (const [name, ms] of Object.entries(now.processes)) {
      const before = this.start.processes[name];
      if (ms !== null && before !== null && before !== undefined) used[name] = ms - before;
    }
    for (const [pid, { app, ms }] of now.backends) {
      const key = `postgres:${app || 'unnamed'}`;
      used[key] = (used[key] ?? 0) + ms - (this.start.backends.get(pid)?.ms ?? 0);
    }
    return used;
  }
}
