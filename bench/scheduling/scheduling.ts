import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Benchmark, BenchOptions } from '../lib/benchmark.js';
import {
  benchPool,
  CLIENT_CORES,
  pinSelf,
  SERVER_CORES,
  waitFor,
  type AppProcess,
  type BenchEnvironment,
} from '../lib/environment.js';
import { ratioResult, type BenchResult } from '../lib/results.js';
import { median, percentile, round3 } from '../lib/stats.js';
import { BaselineScheduler, BulkAdder, type ReminderJob } from './baseline.js';
import { createSite, enrolTemplate, PatientCloner, type EnrolledPatient } from './cohort.js';
import { OurScheduler, schedulingPlan, type SchedulingPlan } from './ours.js';
import { profiled } from './profile.js';
import { CpuAccount, explainReads, recordStatements } from './statements.js';

/** The ratio the table of issue 7 asks for (ours ÷ baseline, patients per second). */
const TARGET = 0.5;

type Side = 'ours' | 'baseline';

interface RoundResult {
  side: Side;
  patients: number;
  /** From the first patient's first statement until every reminder job is delayed in Redis. */
  seconds: number;
  patientsPerSecond: number;
  /** Until the last patient's last transaction committed (the rest is the relay or the addBulk tail). */
  databaseSeconds: number;
  /** Per patient (its three transactions), in ms. */
  latencyMs: { p50: number; p99: number };
  jobs: number;
  /** CPU ms per patient: this process, the worker, and PostgreSQL's backends by application name. */
  cpuMsPerPatient: Record<string, number>;
}

/** Runs `work` on every item, `concurrency` at a time; answers each one's duration (ms). */
async function lanes<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  const durations: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      const started = performance.now();
      await work(item);
      durations.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return durations;
}

/** The audit rows a round wrote, per patient, by table and action (the two sides must write the same). */
async function auditShape(owner: pg.Pool, fromId: string, toId: string, patients: number) {
  const { rows } = await owner.query<{ entity_type: string; action: string; n: number }>(
    `SELECT entity_type, action, count(*)::int AS n FROM audit_event WHERE id > $1 AND id <= $2
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [fromId, toId],
  );
  return Object.fromEntries(rows.map((r) => [`${r.entity_type}.${r.action}`, round3(r.n / patients)]));
}

/**
 * Issue 7, "scheduling": 10,000 patients' visits and reminders, from a patient on ECMO to every reminder's job
 * delayed in Redis. Ours: the api's services in-process (ours.ts), then the worker's outbox relay (a real
 * worker process). Baseline: the same rows with raw `pg` (baseline.ts), then BullMQ addBulk of the same jobs.
 * Both with `DATABASE_POOL_SIZE` patients in flight; rounds alternate the sides, each on fresh patients.
 */
export const benchmark: Benchmark = {
  name: 'scheduling',
  async run(env: BenchEnvironment, options: BenchOptions): Promise<BenchResult[]> {
    const { log } = options;
    const rounds = options.quick ? 1 : 3;
    const size = options.quick ? 1000 : 10_000;
    const warmup = options.quick ? 200 : 1000;
    // This process runs the code under test on both sides (our services in-process, the bare baseline):
    // the server core. The worker (our relay) gets the other one.
    pinSelf(SERVER_CORES);
    const config = env.config();
    const owner = benchPool({ connectionString: config.DATABASE_MIGRATION_URL, max: 2 });
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = BulkAdder.queueFor(config, redis);
    const started: Array<{ close(): Promise<void> }> = [];
    let worker: AppProcess | undefined;
    try {
      const ours = await OurScheduler.start(config);
      started.push(ours);
      const concurrency = ours.poolSize;
      const baseline = await BaselineScheduler.start(config, concurrency);
      started.push(baseline);

      const site = await createSite(owner, 'BENCH');
      const template = await enrolTemplate(ours.app, site);
      const cloner = new PatientCloner(owner, site, template, config);
      const whatIf = Boolean(process.env.BENCH_WHAT_IF_INDEX);
      const total = 2 * (warmup + rounds * size) + 2 + (whatIf ? 2 * size : 0);
      const t = performance.now();
      const patients = await cloner.clone(total);
      log(`${total} patients enrolled (cloned by SQL) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await owner.query('VACUUM ANALYZE');

      worker = await env.spawnApp('worker', { cores: CLIENT_CORES });
      const delayed = async () => (await queue.getJobCounts('delayed')).delayed;
      let taken = 0;
      const take = (n: number) => patients.slice(taken, (taken += n));
      const perBooking = config.REMINDER_DAYS_BEFORE.split(',').length;

      // Every job added so far is delayed in Redis before a round starts (the relay may still be adding some).
      let expectedInRedis = 0;
      const round = async (side: Side, cohort: EnrolledPatient[], plan: SchedulingPlan) => {
        await waitFor(
          async () => ((await delayed()) === expectedInRedis ? true : undefined),
          60_000,
          `${expectedInRedis} jobs delayed before the round`,
          20,
        );
        const before = expectedInRedis;
        // This server runs without autovacuum (autovacuum = off): what it would do between rounds is done
        // here, untimed, so that plans are made on current statistics (an empty table's plan otherwise).
        await owner.query(
          'VACUUM (ANALYZE) reminder, appointment, follow_up_visit, outbox, ecmo_run, hospital_outcome, patient',
        );
        // Two reminders per booking (REMINDER_DAYS_BEFORE 7,1; both ahead), checked against the rows after.
        const expected = cohort.length * perBooking;
        const [{ max: auditFrom }] = (
          await owner.query<{ max: string }>(`SELECT coalesce(max(id), 0) AS max FROM audit_event`)
        ).rows;
        const cpu = await CpuAccount.begin(owner, env.database, {
          bench: process.pid,
          worker: worker!.process.pid!,
        });
        const begin = performance.now();
        let durations: number[];
        if (side === 'ours') {
          durations = await lanes(cohort, concurrency, (p) => ours.schedule(site, p, plan));
        } else {
          const adder = new BulkAdder(queue);
          durations = await lanes(cohort, concurrency, (p) =>
            baseline.schedule(site, p, plan, (jobs: ReminderJob[]) => adder.push(jobs)),
          );
          adder.finish();
          await adder.done;
        }
        const committed = performance.now();
        await waitFor(
          async () => ((await delayed()) >= before + expected ? true : undefined),
          300_000,
          `${side}: ${expected} reminder jobs delayed in Redis`,
          20,
        );
        const seconds = (performance.now() - begin) / 1000;
        const cpuMs = await cpu.end();
        const { rows } = await owner.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM reminder WHERE patient_id = ANY($1::uuid[])`,
          [cohort.map((p) => p.id)],
        );
        const jobs = rows[0].n;
        const inRedis = (await delayed()) - before;
        if (jobs !== expected || inRedis !== expected) {
          throw new Error(`${side}: ${jobs} reminders written and ${inRedis} jobs delayed, not ${expected}`);
        }
        expectedInRedis += expected;
        const [{ max: auditTo }] = (
          await owner.query<{ max: string }>(`SELECT coalesce(max(id), 0) AS max FROM audit_event`)
        ).rows;
        const result: RoundResult = {
          side,
          patients: cohort.length,
          seconds: round3(seconds),
          patientsPerSecond: round3(cohort.length / seconds),
          databaseSeconds: round3((committed - begin) / 1000),
          latencyMs: { p50: round3(percentile(durations, 50)), p99: round3(percentile(durations, 99)) },
          jobs,
          cpuMsPerPatient: Object.fromEntries(
            Object.entries(cpuMs)
              .filter(([, ms]) => ms > 0)
              .map(([name, ms]) => [name, round3(ms / cohort.length)]),
          ),
        };
        return { result, audit: await auditShape(owner, auditFrom, auditTo, cohort.length) };
      };

      // Warm-up: each side once (JIT, pools, caches), with its statements counted.
      const warm: Record<Side, unknown> = { ours: undefined, baseline: undefined };
      const statements: Record<Side, Record<string, number>> = { ours: {}, baseline: {} };
      const audit: Record<Side, unknown> = { ours: undefined, baseline: undefined };
      for (const side of ['ours', 'baseline'] as const) {
        const counted = await recordStatements(() => round(side, take(warmup), schedulingPlan()));
        warm[side] = counted.result.result;
        audit[side] = counted.result.audit;
        statements[side] = Object.fromEntries(
          Object.entries(counted.byApplication).map(([name, n]) => [name, round3(n / warmup)]),
        );
        log(`warm-up ${side}: ${JSON.stringify(counted.result.result)}`);
        log(
          `  statements per patient ${JSON.stringify(statements[side])}; audit rows ${JSON.stringify(audit[side])}`,
        );
      }
      if (JSON.stringify(audit.ours) !== JSON.stringify(audit.baseline)) {
        log(
          `audit rows per patient differ: ours ${JSON.stringify(audit.ours)}, baseline ${JSON.stringify(audit.baseline)}`,
        );
      }

      const measured: RoundResult[] = [];
      for (let r = 0; r < rounds; r++) {
        const order: Side[] = r % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
        for (const side of order) {
          // BENCH_CPU_PROF_DIR: the first round of each side is profiled (this process only).
          const profile = r === 0 ? process.env.BENCH_CPU_PROF_DIR : undefined;
          const { result } = await profiled(profile, `scheduling-${side}`, () =>
            round(side, take(size), schedulingPlan()),
          );
          measured.push(result);
          log(`round ${r + 1} ${side}: ${JSON.stringify(result)}`);
        }
      }
      // After the rounds (the tables at their largest): one patient each, its statements listed, and EXPLAIN
      // ANALYZE of our reads (for the report; not measured).
      const plan = schedulingPlan();
      const [one, two] = take(2);
      const tracedOurs = await recordStatements(() => ours.schedule(site, one, plan), 200);
      expectedInRedis += perBooking;
      const traced = {
        ours: tracedOurs.texts,
        baseline: (await recordStatements(() => baseline.schedule(site, two, plan, () => {}), 200)).texts,
      };
      const explained = await explainReads(owner, tracedOurs.kept);
      const slowest = [...explained].sort(
        (a, b) => b.executionMs + b.planningMs - a.executionMs - a.planningMs,
      );
      log(
        `EXPLAIN ANALYZE of our ${explained.length} reads of one patient: planning ${round3(
          explained.reduce((t, e) => t + e.planningMs, 0),
        )} ms, execution ${round3(explained.reduce((t, e) => t + e.executionMs, 0))} ms in all; slowest: ${JSON.stringify(slowest.slice(0, 3))}`,
      );
      const seqScans = explained.filter((e) => e.plan.includes('Seq Scan'));
      if (seqScans.length > 0) log(`  sequential scans: ${JSON.stringify(seqScans)}`);
      // Were the plans above made on fresh statistics? What autovacuum had done, then the same reads after
      // an explicit ANALYZE.
      const { rows: tableStats } = await owner.query(
        `SELECT relname, n_live_tup, autoanalyze_count, last_autoanalyze FROM pg_stat_user_tables
          WHERE relname IN ('reminder', 'appointment', 'follow_up_visit', 'outbox', 'audit_event') ORDER BY relname`,
      );
      log(`table statistics: ${JSON.stringify(tableStats)}`);
      await owner.query('ANALYZE reminder, appointment, follow_up_visit, outbox');
      const analyzed = await explainReads(owner, tracedOurs.kept);
      const slowestAnalyzed = [...analyzed].sort(
        (a, b) => b.executionMs + b.planningMs - a.executionMs - a.planningMs,
      );
      log(
        `after ANALYZE: execution ${round3(analyzed.reduce((t, e) => t + e.executionMs, 0))} ms in all; slowest: ${JSON.stringify(slowestAnalyzed.slice(0, 3))}`,
      );
      if (process.env.BENCH_SHOW_SQL) {
        for (const side of ['ours', 'baseline'] as const)
          traced[side].forEach((t, i) => log(`  ${side} ${i + 1}: ${t}`));
      }
      // BENCH_WHAT_IF_INDEX: one more round each, after CREATE INDEX ON reminder (appointment_id) in this
      // benchmark's own database (never a migration): the fix proposed for the sequential scan above,
      // measured at the tables' largest, beside the last rounds without it. Not in the row's medians.
      let whatIfIndex: Record<string, unknown> | undefined;
      if (whatIf) {
        await owner.query(`CREATE INDEX bench_reminder_appointment_idx ON reminder (appointment_id)`);
        const withIndex = await explainReads(owner, tracedOurs.kept);
        const ourRound = (await round('ours', take(size), schedulingPlan())).result;
        const bareRound = (await round('baseline', take(size), schedulingPlan())).result;
        whatIfIndex = {
          ours: ourRound,
          baseline: bareRound,
          ratio: round3(ourRound.patientsPerSecond / bareRound.patientsPerSecond),
          readOfRemindersByAppointment: withIndex.filter((e) =>
            e.statement.includes('"appointment_id" = $1'),
          ),
        };
        log(`what-if index on reminder (appointment_id): ${JSON.stringify(whatIfIndex)}`);
      }
      const of = (side: Side) => measured.filter((m) => m.side === side);
      const med = (side: Side) => median(of(side).map((m) => m.patientsPerSecond));
      const { rows: unrelayed } = await owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL`,
      );
      const rows = [
        ratioResult(`scheduling (${size} patients)`, med('ours'), med('baseline'), 'patients/s', TARGET, {
          rounds,
          patientsPerRound: size,
          concurrency,
          roundsMeasured: measured,
          warmup: warm,
          statementsPerPatient: statements,
          statementsOfOnePatient: traced,
          explainOurReads: explained,
          explainOurReadsAfterAnalyze: analyzed,
          tableStatistics: tableStats,
          auditRowsPerPatient: audit,
          latencyMsMedian: {
            ours: {
              p50: median(of('ours').map((m) => m.latencyMs.p50)),
              p99: median(of('ours').map((m) => m.latencyMs.p99)),
            },
            baseline: {
              p50: median(of('baseline').map((m) => m.latencyMs.p50)),
              p99: median(of('baseline').map((m) => m.latencyMs.p99)),
            },
          },
          outboxLeftUnrelayed: unrelayed[0].n,
          ours:
            'api services in-process (ApiModule application context): end the ECMO run, record the discharge, ' +
            'book the Month 3 visit (reminders + outbox in the booking transaction); worker process relays the outbox',
          baseline:
            'the same rows with raw pg as the app role, same three transactions per patient and audit context; ' +
            'BullMQ addBulk (<= 500 per call) of the same jobs',
          placement: {
            benchProcess: SERVER_CORES,
            worker: CLIENT_CORES,
            cpus: cpus().length,
            loadAverage1m: Number(loadavg()[0].toFixed(2)),
            notPinned: 'PostgreSQL and Redis',
          },
          outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
          whatIfIndex,
        }),
      ];
      // The whole row with its details, for a run saved with --no-save or --quick.
      log(`result: ${JSON.stringify(rows)}`);
      return rows;
    } finally {
      await worker?.stop().catch(() => undefined);
      for (const s of started.reverse()) await s.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await owner.end();
    }
  },
};
