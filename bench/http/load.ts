import autocannon from 'autocannon';
import { median } from '../lib/stats.js';
import { cpuBetween, type CpuMeter } from './cpu.js';

/** One side of a comparison: a server and the requests it is sent. */
export interface LoadTarget {
  readonly name: 'ours' | 'baseline';
  readonly port: number;
  readonly method: 'GET' | 'POST';
  /** Every request counted must answer this status; any other fails the benchmark. */
  readonly expectedStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The next request's path and body (a different patient each time). */
  next(): { path: string; body?: string };
  /** Meters the server's CPU and its PostgreSQL backends' during each run, where the machine can. */
  readonly meter?: CpuMeter;
}

/** One measured run of one side. */
export interface LoadRun {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly seconds: number;
  /** Latency percentiles, ms (autocannon's histogram). */
  readonly p50: number;
  readonly p99: number;
  readonly responseBytes: number;
  /** CPU ms per request of the server process and of its PostgreSQL backends (null: not metered). */
  readonly cpuMsPerRequest: { server: number | null; postgres: number } | null;
}

export interface LoadSettings {
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly roundSeconds: number;
}

/**
 * Sends `target`'s requests for `seconds` over `connections` keep-alive connections, one request at a time
 * on each (no pipelining), and measures what came back. Throws, with the first unexpected answer, when any
 * response is not `expectedStatus` or any request failed (error or timeout): a benchmark that counted
 * refusals would measure the wrong thing.
 */
export async function runLoad(target: LoadTarget, seconds: number, connections: number): Promise<LoadRun> {
  let unexpected = 0;
  let firstUnexpected: string | undefined;
  let bytes = 0;
  let answered = 0;
  const before = await target.meter?.sample();
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
    headers: { ...target.headers },
    requests: [
      {
        method: target.method,
        setupRequest: (request) => {
          const { path, body } = target.next();
          return { ...request, path, ...(body === undefined ? {} : { body }) };
        },
        onResponse: (status, body) => {
          answered++;
          bytes += Buffer.byteLength(body);
          if (status !== target.expectedStatus) {
            unexpected++;
            firstUnexpected ??= `${status} ${body.slice(0, 500)}`;
          }
        },
      },
    ],
  });
  const after = await target.meter?.sample();
  if (unexpected > 0 || result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${target.name}: ${unexpected} answers other than ${target.expectedStatus} (${JSON.stringify(
        result.statusCodeStats ?? {},
      )}), ${result.errors} errors, ${result.timeouts} timeouts; first: ${firstUnexpected ?? 'none'}`,
    );
  }
  const requests = result['2xx'];
  const cpu = before && after ? cpuBetween(before, after) : null;
  return {
    requestsPerSecond: requests / result.duration,
    requests,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responseBytes: answered === 0 ? 0 : Math.round(bytes / answered),
    cpuMsPerRequest: cpu
      ? { server: cpu.server === null ? null : cpu.server / requests, postgres: cpu.postgres / requests }
      : null,
  };
}

export interface SideSummary {
  /** Median over the rounds. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median CPU ms per request of the server process and of its PostgreSQL backends, where metered. */
  readonly cpuMsPerRequest: { server: number | null; postgres: number } | null;
  readonly rounds: LoadRun[];
}

export interface Comparison {
  readonly ours: SideSummary;
  readonly baseline: SideSummary;
}

function summarise(runs: LoadRun[]): SideSummary {
  const cpu = runs.map((r) => r.cpuMsPerRequest).filter((c) => c !== null);
  const server = cpu.map((c) => c.server).filter((ms) => ms !== null);
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50)),
    p99Ms: median(runs.map((r) => r.p99)),
    cpuMsPerRequest:
      cpu.length === 0
        ? null
        : {
            server: server.length === 0 ? null : median(server),
            postgres: median(cpu.map((c) => c.postgres)),
          },
    rounds: runs,
  };
}

const ms2 = (value: number | null | undefined): number | null =>
  value === null || value === undefined ? null : Number(value.toFixed(2));

/**
 * A warm-up of each side, then `rounds` measured rounds of each, alternated (ours first in even rounds,
 * the baseline first in odd ones, so neither always follows the other): medians over the rounds.
 */
export async function compare(
  ours: LoadTarget,
  baseline: LoadTarget,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<Comparison> {
  for (const target of [ours, baseline]) {
    const warm = await runLoad(target, settings.warmupSeconds, settings.connections);
    log(`warm-up ${target.name}: ${warm.requestsPerSecond.toFixed(0)} req/s`);
  }
  const runs: Record<'ours' | 'baseline', LoadRun[]> = { ours: [], baseline: [] };
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? [ours, baseline] : [baseline, ours];
    for (const target of order) {
      const run = await runLoad(target, settings.roundSeconds, settings.connections);
      runs[target.name].push(run);
      const cpu = run.cpuMsPerRequest;
      log(
        `round ${round + 1}/${settings.rounds} ${target.name}: ${run.requestsPerSecond.toFixed(0)} req/s, ` +
          `p50 ${run.p50} ms, p99 ${run.p99} ms` +
          (cpu ? `, CPU/request: server ${ms2(cpu.server)} ms, postgres ${ms2(cpu.postgres)} ms` : ''),
      );
    }
  }
  return { ours: summarise(runs.ours), baseline: summarise(runs.baseline) };
}

/** Settings from the command line: `--quick` is a smoke run while developing. */
export function loadSettings(quick: boolean): LoadSettings {
  return quick
    ? { connections: 10, warmupSeconds: 2, rounds: 2, roundSeconds: 3 }
    : { connections: 10, warmupSeconds: 5, rounds: 5, roundSeconds: 10 };
}

/** The rows' details of one comparison: medians, p99s, every round, and how it was measured. */
export function comparisonDetails(comparison: Comparison, settings: LoadSettings): Record<string, unknown> {
  const side = (s: SideSummary) => ({
    medianRequestsPerSecond: Math.round(s.requestsPerSecond),
    medianP50Ms: s.p50Ms,
    medianP99Ms: s.p99Ms,
    medianCpuMsPerRequest: s.cpuMsPerRequest
      ? { server: ms2(s.cpuMsPerRequest.server), postgres: ms2(s.cpuMsPerRequest.postgres) }
      : null,
    responseBytes: s.rounds[0]?.responseBytes ?? 0,
    rounds: s.rounds.map((r) => ({
      requestsPerSecond: Math.round(r.requestsPerSecond),
      requests: r.requests,
      seconds: r.seconds,
      p50Ms: r.p50,
      p99Ms: r.p99,
      cpuMsPerRequest: r.cpuMsPerRequest
        ? { server: ms2(r.cpuMsPerRequest.server), postgres: ms2(r.cpuMsPerRequest.postgres) }
        : null,
    })),
  });
  return {
    ours: side(comparison.ours),
    baseline: side(comparison.baseline),
    method:
      `autocannon ${settings.connections} connections, no pipelining; ${settings.warmupSeconds} s warm-up ` +
      `per side, then ${settings.rounds} alternated rounds of ${settings.roundSeconds} s per side; ` +
      'medians over the rounds; CPU per request from /proc (the server process, and its PostgreSQL ' +
      'backends by application_name)',
  };
}
