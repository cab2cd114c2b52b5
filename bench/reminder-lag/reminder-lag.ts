import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { JOB_CATALOGUE, JobName, QUEUE_CONCURRENCY, QueueName } from '../../libs/queue/src/job-catalogue.js';
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
import type { BenchResult } from '../lib/results.js';
import { median, percentile, round3 } from '../lib/stats.js';
import { BulkAdder } from '../scheduling/baseline.js';
import { createSite, enrolTemplate, inTransaction, PatientCloner } from '../scheduling/cohort.js';
import { OurScheduler, schedulingPlan } from '../scheduling/ours.js';

/** The bound of issue 7's table on the p99 lag (seconds). */
const TARGET_S = 2;

/** Kinds of far-future reminder per appointment (days_before 10…57: none of the policy's 7 and 1, nor 0). */
const FAR_KINDS = 48;

interface Sizes {
  /** Patients, each with one booked appointment (two reminders of the policy, plus FAR_KINDS far ones). */
  patients: number;
  rounds: number;
  /** Reminders due in each round's window. */
  due: number;
  windowS: number;
  /** From writing a round's reminders to the first one's due instant (the relay adds them meanwhile). */
  leadS: number;
}

interface LogLine {
  at: string;
  reference: string;
}

interface RoundLag {
  due: number;
  sent: number;
  p50: number;
  p99: number;
  max: number;
  /** Seconds from the commit of the round's rows until all their jobs were delayed in Redis. */
  relayedInS: number;
  /** Lags (s) above TARGET_S. */
  over2s: number;
}

/**
 * Issue 7, "reminder firing lag": with 100,000 reminders pending as delayed jobs, the p99 of the time from a
 * reminder's due instant to its provider call, for the reminders due in a window, sent by one real worker
 * process (the `log` provider: each call is a JSON line with its instant, `at`, in MESSAGE_LOG_FILE).
 *
 * Set-up: patients booked through our path (scheduling/ours.ts: each booking writes the policy's two reminders
 * and their outbox rows), then FAR_KINDS more reminders per appointment due days later, written by SQL as the
 * reminder planner writes them (reminder row + outbox row, in one transaction); the worker relays them all.
 * Each round then writes `due` reminders the same way, due one after another over `windowS` seconds from
 * `leadS` seconds on; lag = the log line's `at` − the reminder's due_at, joined by the ledger row (the
 * message's reference). Every due reminder must be sent exactly once: ledger rows = file lines = `due`.
 */
export const benchmark: Benchmark = {
  name: 'reminder-lag',
  async run(env: BenchEnvironment, options: BenchOptions): Promise<BenchResult[]> {
    const { log } = options;
    const sizes: Sizes = options.quick
      ? { patients: 400, rounds: 2, due: 300, windowS: 20, leadS: 8 }
      : { patients: 2000, rounds: 5, due: 1500, windowS: 40, leadS: 12 };
    // The worker under test has the server core; this process (writing rows, then waiting) the other.
    pinSelf(CLIENT_CORES);
    const config = env.config();
    const owner = benchPool({ connectionString: config.DATABASE_MIGRATION_URL, max: 2 });
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = BulkAdder.queueFor(config, redis);
    const directory = mkdtempSync(join(tmpdir(), 'ecmo-bench-lag-'));
    const messageFile = join(directory, 'messages.jsonl');
    let worker: AppProcess | undefined;
    try {
      // Patients with a booked appointment, through our path (an api context, closed before measuring).
      const ours = await OurScheduler.start(config);
      let appointments: Array<{ id: string; patient_id: string }>;
      try {
        const site = await createSite(owner, 'LAG');
        const cloner = new PatientCloner(owner, site, await enrolTemplate(ours.app, site), config);
        const patients = await cloner.clone(sizes.patients);
        const plan = schedulingPlan();
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: ours.poolSize }, async () => {
            while (next < patients.length) await ours.schedule(site, patients[next++], plan);
          }),
        );
        log(
          `${sizes.patients} patients booked (our path) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        ({ rows: appointments } = await owner.query<{ id: string; patient_id: string }>(
          `SELECT id, patient_id FROM appointment WHERE status = 'booked' ORDER BY id`,
        ));
      } finally {
        await ours.close();
      }

      // The far-future reminders, as the planner writes them (row + outbox row), 200 appointments a transaction.
      const started = performance.now();
      for (let i = 0; i < appointments.length; i += 200) {
        await inTransaction(owner, (client) =>
          client.query(
            `WITH r AS (
               INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
               SELECT a.patient_id, a.id, a.local_date, 9 + k, 'sms',
                      now() + interval '3 days' + k * interval '1 hour' + random() * interval '1 hour', 'pending', 1
                 FROM appointment a CROSS JOIN generate_series(1, $2::int) AS k
                WHERE a.id = ANY($1::uuid[])
               RETURNING id, due_at)
             INSERT INTO outbox (job_name, job_id, payload, run_at)
             SELECT $3, 'reminder-' || id || '-v1', jsonb_build_object('reminderId', id, 'version', 1), due_at FROM r`,
            [appointments.slice(i, i + 200).map((a) => a.id), FAR_KINDS, JobName.SendReminder],
          ),
        );
      }
      const pendingCount = async () =>
        (await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM reminder WHERE status = 'pending'`))
          .rows[0].n;
      const pending = await pendingCount();
      log(
        `${pending} reminders pending (rows + outbox) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      await owner.query('VACUUM ANALYZE');

      const profileDir = process.env.BENCH_CPU_PROF_DIR;
      worker = await env.spawnApp('worker', {
        cores: SERVER_CORES,
        env: { MESSAGE_LOG_FILE: messageFile },
        nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      });
      const delayed = async () => (await queue.getJobCounts('delayed')).delayed;
      const relayStarted = performance.now();
      await waitFor(
        async () => ((await delayed()) >= pending ? true : undefined),
        900_000,
        `${pending} jobs delayed`,
        500,
      );
      log(
        `the worker relayed ${pending} delayed jobs in ${((performance.now() - relayStarted) / 1000).toFixed(1)} s`,
      );

      const rounds: RoundLag[] = [];
      let cursor = 0;
      let fileOffset = 0;
      for (let r = 0; r < sizes.rounds; r++) {
        const chosen = Array.from({ length: sizes.due }, () => appointments[cursor++ % appointments.length]);
        const start = Date.now() + sizes.leadS * 1000;
        const spacing = (sizes.windowS * 1000) / sizes.due;
        const dueAts = chosen.map(
          (_, i) => new Date(start + Math.floor(i * spacing + Math.random() * spacing)),
        );
        const before = await delayed();
        const ids = await inTransaction(owner, async (client) => {
          const { rows } = await client.query<{ id: string }>(
            `WITH r AS (
               INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status, version)
               SELECT a.patient_id, a.id, a.local_date, 0, 'sms', u.due_at, 'pending', 1
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS u(appointment_id, due_at)
                 JOIN appointment a ON a.id = u.appointment_id
               RETURNING id, due_at),
             o AS (
               INSERT INTO outbox (job_name, job_id, payload, run_at)
               SELECT $3, 'reminder-' || id || '-v1', jsonb_build_object('reminderId', id, 'version', 1), due_at FROM r)
             SELECT id FROM r`,
            [chosen.map((a) => a.id), dueAts, JobName.SendReminder],
          );
          return rows.map((row) => row.id);
        });
        const committed = performance.now();
        await waitFor(
          async () => ((await delayed()) >= before + ids.length ? true : undefined),
          sizes.leadS * 1000,
          `round ${r + 1}: ${ids.length} jobs delayed before the first is due`,
          50,
        );
        const relayedInS = (performance.now() - committed) / 1000;
        await waitFor(
          async () => {
            const { rows } = await owner.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM reminder WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'sending')`,
              [ids],
            );
            return rows[0].n === 0 ? true : undefined;
          },
          (sizes.leadS + sizes.windowS + 180) * 1000,
          `round ${r + 1}: every due reminder sent`,
          500,
        );

        const content = readFileSync(messageFile);
        const lines = content
          .subarray(fileOffset)
          .toString('utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as LogLine);
        fileOffset = content.length;
        const { rows: ledger } = await owner.query<{
          delivery: string;
          reminder: string;
          due_at: Date;
          status: string;
        }>(
          `SELECT d.id AS delivery, r.id AS reminder, r.due_at, r.status
             FROM reminder r LEFT JOIN reminder_delivery d ON d.reminder_id = r.id
            WHERE r.id = ANY($1::uuid[])`,
          [ids],
        );
        const byReference = new Map(ledger.map((row) => [row.delivery, row]));
        const problems: string[] = [];
        const notSent = ledger.filter((row) => row.status !== 'sent' || row.delivery === null);
        if (notSent.length > 0) problems.push(`${notSent.length} not sent (${notSent[0].status})`);
        if (ledger.length !== ids.length || new Set(ledger.map((row) => row.reminder)).size !== ids.length) {
          problems.push(`ledger rows ${ledger.length} for ${ids.length} reminders`);
        }
        const calls = lines.filter((line) => byReference.has(line.reference));
        if (calls.length !== ids.length || new Set(calls.map((c) => c.reference)).size !== ids.length) {
          problems.push(`${calls.length} provider calls for ${ids.length} reminders`);
        }
        if (lines.length !== calls.length)
          problems.push(`${lines.length - calls.length} other provider calls`);
        if (problems.length > 0) throw new Error(`round ${r + 1}: ${problems.join('; ')}`);
        const lags = calls.map(
          (c) => (Date.parse(c.at) - byReference.get(c.reference)!.due_at.getTime()) / 1000,
        );
        const result: RoundLag = {
          due: ids.length,
          sent: calls.length,
          p50: round3(percentile(lags, 50)),
          p99: round3(percentile(lags, 99)),
          max: round3(Math.max(...lags)),
          relayedInS: round3(relayedInS),
          over2s: lags.filter((lag) => lag > TARGET_S).length,
        };
        rounds.push(result);
        log(`round ${r + 1}: ${JSON.stringify(result)}`);
      }
      const pendingAfter = await pendingCount();
      const delayedAfter = await delayed();
      const p99 = median(rounds.map((r) => r.p99));
      const rows: BenchResult[] = [
        {
          name: `reminder lag (p99, ${pending} pending)`,
          ours: p99,
          baseline: null,
          unit: 's',
          ratio: null,
          target: `< ${TARGET_S} s`,
          met: p99 < TARGET_S,
          details: {
            medianP99: p99,
            worstP99: Math.max(...rounds.map((r) => r.p99)),
            medianP50: median(rounds.map((r) => r.p50)),
            max: Math.max(...rounds.map((r) => r.max)),
            rounds,
            sizes,
            pendingBefore: pending,
            pendingAfter,
            delayedAfter,
            worker: {
              concurrency: QUEUE_CONCURRENCY[QueueName.Reminders],
              bullmqDefaults: {
                drainDelayS: 5,
                stalledIntervalMs: 30_000,
                lockDurationMs: 30_000,
                blockTimeout:
                  'until the next delayed job (1 ms … 10 s) while delayed jobs wait; drainDelay otherwise',
              },
              outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
              reconcileIntervalMs: config.REMINDER_RECONCILE_INTERVAL_MS,
              attempts: JOB_CATALOGUE[JobName.SendReminder].options.attempts,
            },
            placement: {
              worker: SERVER_CORES,
              benchProcess: CLIENT_CORES,
              cpus: cpus().length,
              loadAverage1m: Number(loadavg()[0].toFixed(2)),
              notPinned: 'PostgreSQL and Redis',
            },
          },
        },
      ];
      // The whole row with its details, for a run saved with --no-save or --quick.
      log(`result: ${JSON.stringify(rows)}`);
      return rows;
    } finally {
      await worker?.stop().catch(() => undefined);
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await owner.end();
      rmSync(directory, { recursive: true, force: true });
    }
  },
};
