import pg from 'pg';
import { processCpuMs } from '../lib/probes.js';

/** CPU used so far by a server process and by the PostgreSQL backends serving it, pid by pid. */
export interface CpuSample {
  readonly server: number | null;
  readonly postgres: ReadonlyMap<number, number>;
}

/**
 * Samples the CPU of a server and of its database sessions (found by application_name in
 * pg_stat_activity, as the same role sees its own sessions), so a round can say where each request's CPU
 * went: the Node process, or PostgreSQL. Local servers only (the backends' /proc entries).
 */
export class CpuMeter {
  constructor(
    private readonly databaseUrl: string,
    private readonly database: string,
    private readonly applicationName: string,
    private readonly serverPid: number,
  ) {}

  async sample(): Promise<CpuSample> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'ecmo-bench-meter',
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
        [this.database, this.applicationName],
      );
      const postgres = new Map<number, number>();
      for (const { pid } of rows) {
        const ms = processCpuMs(pid);
        if (ms !== null) postgres.set(pid, ms);
      }
      return { server: processCpuMs(this.serverPid), postgres };
    } finally {
      await client.end();
    }
  }
}

/**
 * CPU ms used between two samples by the server and by its backends: a backend in both samples counts its
 * difference, one that appeared since counts all its time; one that ended in between is lost (the pools
 * close only idle connections, which used next to nothing).
 */
export function cpuBetween(before: CpuSample, after: CpuSample): { server: number | null; postgres: number } {
  let postgres = 0;
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
  const server = before.server !== null && after.server !== null ? after.server - before.server : null;
  return { server, postgres };
}
