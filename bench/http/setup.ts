import { cpus, loadavg } from 'node:os';
import { startBaseline } from '../baseline/spawn.js';
import type { BenchOptions } from '../lib/benchmark.js';
import {
  CLIENT_CORES,
  pinSelf,
  SERVER_CORES,
  type AppProcess,
  type BenchEnvironment,
} from '../lib/environment.js';
import { ApiClient, createUsers, type BenchUsers } from './api-client.js';
import { createPatients, type BenchPatient } from './cohort.js';
import { CpuMeter } from './cpu.js';
import { shortStatement } from '../lib/probes.js';
import { traceStatements } from './sql-probe.js';

/**
 * What the api under benchmark runs with beyond the environment's own settings, and why (reported with the
 * results): the whole-api rate limit per client address is raised to its maximum, because all the load comes
 * from one address (the throttler still counts every request, and reports the counts to Redis in batches,
 * as for any address under half its limit); the access token lives an hour (its maximum) so that one
 * sign-in lasts the whole run.
 */
export const API_OVERRIDES: Readonly<Record<string, string>> = {
  API_RATE_PER_ADDRESS: '1000000',
  ACCESS_TOKEN_TTL_SECONDS: '3600',
};

export interface HttpFixture {
  readonly users: BenchUsers;
  readonly patients: BenchPatient[];
}

/**
 * The data an HTTP benchmark reads or writes, made through the api (`api`, already started) as people would:
 * the first administrator (CLI), a site and a research nurse (both onboarded with MFA), then `patients`
 * synthetic patients with their whole hospital course, entered by the nurse.
 */
export async function createFixture(
  env: BenchEnvironment,
  api: AppProcess,
  patients: number,
  log: (line: string) => void,
): Promise<HttpFixture> {
  const client = new ApiClient(`http://127.0.0.1:${api.port}`);
  const users = await createUsers(client, env.env);
  const started = performance.now();
  let reported = 0;
  const created = await createPatients(client.as(users.nurseToken), { count: patients }, (done) => {
    if (done - reported >= 200 || done === patients) {
      reported = done;
      log(`created ${done}/${patients} patients`);
    }
  });
  log(
    `${patients} patients created through the api in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { users, patients: created };
}

/** The servers of one HTTP benchmark, started and with their fixture. */
export interface HttpServers {
  readonly api: AppProcess;
  readonly baseline: AppProcess;
  readonly fixture: HttpFixture;
  /** The statements one request runs on each side (traced before measuring), shortened. */
  readonly statements: { ours: string[]; baseline: string[] };
  /** CPU meters of each side (the server process and its PostgreSQL backends). */
  readonly meters: { ours: CpuMeter; baseline: CpuMeter };
  /** The machine's 1-minute load average when measuring began. */
  readonly loadAtStart: number;
}

/** application_name of each side's sessions (libs/database: the api's; bench/baseline: the baseline's). */
const APPLICATION_NAMES = { ours: 'ecmo-api', baseline: 'ecmo-bench-baseline' } as const;

/**
 * The frame of an HTTP benchmark: this process (the load generator) pinned to the client core; a first api
 * creates the fixture and stops; the statements of `probe` (one request, sent to a server on `port`) are
 * traced on each side in separate, traced processes; then a fresh api (with API_OVERRIDES) and the baseline,
 * each a process of its own on the server core, are measured by `work`; everything started is stopped after.
 *
 * BENCH_CPU_PROF_DIR=<dir> starts the measured api with --cpu-prof (its profile is written there on exit),
 * to find where its time goes; its numbers are then not for the table. BENCH_SHOW_SQL=1 logs the traced
 * statements.
 */
export async function withServers<T>(
  env: BenchEnvironment,
  options: BenchOptions & { patients: number },
  probe: (port: number, fixture: HttpFixture) => Promise<void>,
  work: (servers: HttpServers) => Promise<T>,
): Promise<T> {
  pinSelf(CLIENT_CORES);
  const started: AppProcess[] = [];
  try {
    const setupApi = await env.spawnApp('api', { env: { ...API_OVERRIDES } });
    started.push(setupApi);
    const fixture = await createFixture(env, setupApi, options.patients, options.log);
    await setupApi.stop();

    let port = 0;
    const traced = async (start: Promise<AppProcess>): Promise<AppProcess> => {
      const app = await start;
      port = app.port;
      return app;
    };
    const ours = await traceStatements(
      (o) => traced(env.spawnApp('api', { env: { ...API_OVERRIDES, ...o.env }, nodeArgs: o.nodeArgs })),
      () => probe(port, fixture),
    );
    const bare = await traceStatements(
      (o) => traced(startBaseline(env, o)),
      () => probe(port, fixture),
    );
    const statements = {
      ours: ours.map((s) => shortStatement(s.text)),
      baseline: bare.map((s) => shortStatement(s.text)),
    };
    options.log(`statements per request: ours ${ours.length}, baseline ${bare.length}`);
    if (process.env.BENCH_SHOW_SQL) {
      for (const side of ['ours', 'baseline'] as const) {
        statements[side].forEach((text, i) => options.log(`  ${side} ${i + 1}: ${text}`));
      }
    }

    const profileDir = process.env.BENCH_CPU_PROF_DIR;
    const api = await env.spawnApp('api', {
      env: { ...API_OVERRIDES },
      nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    started.push(api);
    const baseline = await startBaseline(env);
    started.push(baseline);
    const meter = (side: keyof typeof APPLICATION_NAMES, app: AppProcess) =>
      new CpuMeter(env.env.DATABASE_URL, env.database, APPLICATION_NAMES[side], app.process.pid!);
    const loadAtStart = loadavg()[0];
    if (loadAtStart > cpus().length) {
      options.log(
        `warning: load average ${loadAtStart.toFixed(1)} on ${cpus().length} cores before measuring: other ` +
          'work competes for the cores (PostgreSQL is not pinned), the ratio is not reliable',
      );
    }
    return await work({
      loadAtStart,
      api,
      baseline,
      fixture,
      statements,
      meters: { ours: meter('ours', api), baseline: meter('baseline', baseline) },
    });
  } finally {
    for (const app of started.reverse()) await app.stop().catch(() => undefined);
  }
}

/**
 * Where and how it ran: the cores, what was not pinned, and how busy the machine was (a load average above
 * the core count means other work competed: the row is then flagged).
 */
export function placement(loadAtStart: number): Record<string, unknown> {
  const loadAtEnd = loadavg()[0];
  const busy = Math.max(loadAtStart, loadAtEnd) > cpus().length;
  return {
    serverCores: SERVER_CORES,
    clientCores: CLIENT_CORES,
    cpus: cpus().length,
    loadAverage1m: { atStart: Number(loadAtStart.toFixed(2)), atEnd: Number(loadAtEnd.toFixed(2)) },
    ...(busy
      ? { warning: 'load average above the core count: other work competed for the cores, ratio unreliable' }
      : {}),
    notPinned: 'PostgreSQL and Redis (shared servers, on any core)',
    apiOverrides: {
      ...API_OVERRIDES,
      why:
        'all load comes from one client address: the per-address limit is raised to its maximum (the ' +
        'throttler guard and its Redis script still run on every request); one sign-in lasts the run',
    },
  };
}
