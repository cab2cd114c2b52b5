import { NestFactory } from '@nestjs/core';
import { Presets, SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../../libs/config/src/index.js';
import { loadCohort } from '../../../libs/registry/src/index.js';
import { SyntheticCohortModule } from './synthetic-cohort.module.js';

const USAGE =
  'usage: synthetic-cohort [--patients 1000] [--sites 5] [--seed 42] [--offset 0] [--concurrency 6] [--now <ISO instant>]';

function wholeNumber(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max) {
    throw new Error(
      `--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got ${value}\n${USAGE}`,
    );
  }
  return n;
}

/**
 * `synthetic-cohort`: loads a seeded synthetic cohort (issue 4) into the registry through its services, with a
 * progress bar on stderr and the counts on stdout. Refused in production. Ctrl-C stops handing out patients,
 * lets those in flight finish, and prints what was loaded.
 */
export async function syntheticCohortCommand(
  args: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      patients: { type: 'string', default: '1000' },
      sites: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      offset: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '6' },
      now: { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfigOrExit();
  if (config.NODE_ENV === 'production') {
    throw new Error(
      'refused: NODE_ENV is production, and synthetic patients never go into a production registry',
    );
  }
  const options = {
    patients: wholeNumber('patients', values.patients),
    sites: wholeNumber('sites', values.sites, 99),
    seed: wholeNumber('seed', values.seed, 0xffff_ffff),
    offset: wholeNumber('offset', values.offset),
    concurrency: wholeNumber('concurrency', values.concurrency, 64),
    now: values.now === undefined ? new Date() : new Date(values.now),
  };
  if (Number.isNaN(options.now.getTime()))
    throw new Error(`--now must be an ISO instant, got ${values.now}\n${USAGE}`);
  if (options.sites < 1 || options.concurrency < 1)
    throw new Error(`--sites and --concurrency are 1 or more\n${USAGE}`);
  if (options.concurrency > config.DATABASE_POOL_SIZE) {
    log(
      `note: --concurrency ${options.concurrency} exceeds DATABASE_POOL_SIZE (${config.DATABASE_POOL_SIZE}): patients will wait for connections`,
    );
  }

  const app = await NestFactory.createApplicationContext(SyntheticCohortModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  const stop = new AbortController();
  const interrupt = (): void => {
    log('interrupted: finishing the patients in flight');
    stop.abort();
  };
  process.once('SIGINT', interrupt);
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format:
        'synthetic cohort |{bar}| {percentage}% | {value}/{total} patients | {rate} patients/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 200,
    },
    Presets.shades_classic,
  );
  const started = performance.now();
  log(
    `synthetic cohort: seed ${options.seed}, patients ${options.offset}..${options.offset + options.patients - 1}, ` +
      `${options.sites} site(s), ${options.concurrency} in flight, dated up to ${options.now.toISOString()}`,
  );
  bar.start(options.patients, 0, { rate: '0.0' });
  try {
    const summary = await loadCohort(app, { ...options, signal: stop.signal }, ({ done }) => {
      bar.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(1) });
    });
    bar.stop();
    const created = summary.sites.filter((s) => s.created).map((s) => s.code);
    log(
      `sites ${summary.sites.map((s) => s.code).join(', ')}` +
        (created.length > 0 ? ` (created ${created.join(', ')})` : ' (already there)'),
    );
    log(
      `${summary.interrupted ? 'interrupted after' : 'loaded'} ${summary.patients} synthetic patient(s) in ` +
        `${summary.seconds.toFixed(1)} s (${(summary.patients / summary.seconds).toFixed(1)} patients/s)` +
        (summary.skipped > 0
          ? `; skipped ${summary.skipped} already in the registry (this seed's earlier run, or an NHS number already registered)`
          : ''),
    );
    log(
      `deaths ${summary.deaths}, discharges ${summary.discharges}, declines ${summary.declines}, ` +
        `withdrawals ${summary.withdrawals}, complications ${summary.complications}, consent events ${summary.consentEvents}`,
    );
    if (summary.interrupted) process.exitCode = 130;
    if (summary.skipped > 0)
      log('to add new patients rather than skip existing ones, pass --offset <first new index>');
  } finally {
    bar.stop();
    process.removeListener('SIGINT', interrupt);
    await app.close();
  }
}
