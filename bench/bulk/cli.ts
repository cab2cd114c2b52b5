import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../libs/config/src/index.js';
import { BULK_TABLES, generateBulk } from './generate.js';

const USAGE =
  'usage: node dist/bench/bulk/cli.js --patients N [--sites 5] [--seed 42] [--offset 0] [--now <ISO>] ' +
  '[--cohort-now <ISO>] [--extended 0..1] [--batch 5000] [--site-prefix SYN] [--no-assessments]';

function whole(name: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new Error(`--${name} must be a whole number, got ${value}\n${USAGE}`);
  }
  return Number(value);
}

function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new Error(`--${name} must be an ISO instant, got ${value}\n${USAGE}`);
  return date;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * Bulk synthetic load (benchmarks, issue 7) into the database of DATABASE_MIGRATION_URL, as its owner
 * role: progress and memory on stderr, counts and rates on stdout. Refused in production. The live heap stays
 * flat (two batches at most); V8 grows the heap lazily, so cap it (`node --max-old-space-size=256`) for a
 * flat RSS too.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      patients: { type: 'string' },
      sites: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      offset: { type: 'string', default: '0' },
      now: { type: 'string' },
      'cohort-now': { type: 'string' },
      extended: { type: 'string', default: '0' },
      batch: { type: 'string', default: '5000' },
      'site-prefix': { type: 'string', default: 'SYN' },
      'no-assessments': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.patients === undefined) throw new Error(USAGE);
  const config = loadConfigOrExit();
  if (config.NODE_ENV === 'production') {
    throw new Error(
      'refused: NODE_ENV is production, and synthetic patients never go into a production registry',
    );
  }
  const extended = Number(values.extended);
  const patients = whole('patients', values.patients);
  let peakRss = process.memoryUsage().rss;
  const started = performance.now();
  const summary = await generateBulk(
    config.DATABASE_MIGRATION_URL,
    config,
    {
      patients,
      sites: whole('sites', values.sites),
      seed: whole('seed', values.seed),
      offset: whole('offset', values.offset),
      now: instant('now', values.now) ?? new Date(),
      cohortNow: instant('cohort-now', values['cohort-now']),
      extendedFollowUp: extended,
      batchSize: whole('batch', values.batch),
      siteCodePrefix: values['site-prefix'],
      assessments: !values['no-assessments'],
    },
    (done) => {
      const { rss, heapUsed } = process.memoryUsage();
      peakRss = Math.max(peakRss, rss);
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(
        `[bulk] ${done}/${patients} patients, ${(done / seconds).toFixed(0)} patients/s, rss ${mib(rss)} (heap used ${mib(heapUsed)})\n`,
      );
    },
  );
  const rate = (n: number) => (n / summary.seconds).toFixed(0);
  const lines = [
    `sites: ${summary.sites.map((s) => `${s.code}${s.created ? ' (created)' : ''}`).join(', ')}`,
    `patients ${summary.patients} (skipped ${summary.skipped}), declines ${summary.declines}, ` +
      `hospital deaths ${summary.hospitalDeaths}, discharges ${summary.discharges}, ` +
      `follow-up deaths ${summary.followUpDeaths}, withdrawals ${summary.withdrawals}, ` +
      `extended follow-up ${summary.extendedFollowUp}`,
    ...BULK_TABLES.map((t) => `  ${t.padEnd(22)} ${String(summary.rows[t]).padStart(10)} rows`),
    `  ${'audit rows added'.padEnd(22)} ${String(summary.auditRows).padStart(10)}`,
    `${summary.seconds.toFixed(1)} s: ${rate(summary.patients)} patients/s, ` +
      `${rate(summary.rows.follow_up_assessment)} assessments/s, ` +
      `${rate(Object.values(summary.rows).reduce((a, b) => a + b, 0) + summary.auditRows - summary.rows.audit_event)} rows/s (audit rows included); ` +
      `peak rss ${mib(peakRss)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
