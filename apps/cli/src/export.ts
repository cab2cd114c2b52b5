import { NestFactory } from '@nestjs/core';
import { Presets, SingleBar } from 'cli-progress';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../../../libs/config/src/index.js';
import { TransactionService } from '../../../libs/database/src/index.js';
import {
  createExport,
  cutOffProblem,
  EXPORT_PROFILES,
  type ExportFile,
  ExportGenerator,
  type ExportProfile,
} from '../../../libs/exports/src/index.js';
import { errorMessage } from '../../../libs/observability/src/index.js';
import { isCalendarDate } from '../../../libs/registry/src/index.js';
import { ExportCliModule } from './export.module.js';

const USAGE = `usage: export --profile <${EXPORT_PROFILES.join('|')}> --cut-off <YYYY-MM-DD>`;

/**
 * `export`: an audit export generated in this process, with a progress bar on stderr; the same export the api
 * and the monthly schedule ask the worker for (a new version for its cut-off and profile, in the audit trail
 * as requested by `cli:<user>`), without Redis. It prints where the files are and their SHA-256 in
 * `sha256sum` format. Ctrl-C stops it: the export is marked failed and nothing is published.
 */
export async function exportCommand(args: readonly string[], log: (line: string) => void): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: { profile: { type: 'string' }, 'cut-off': { type: 'string' } },
    strict: true,
  });
  const profile = values.profile as ExportProfile | undefined;
  const cutOff = values['cut-off'];
  if (!profile || !EXPORT_PROFILES.includes(profile)) {
    throw new Error(`--profile must be one of ${EXPORT_PROFILES.join(', ')}\n${USAGE}`);
  }
  if (!cutOff || !isCalendarDate(cutOff)) throw new Error(`--cut-off must be a date YYYY-MM-DD\n${USAGE}`);
  const config = loadConfigOrExit();
  const now = new Date();
  const problem = cutOffProblem(cutOff, now);
  if (problem) throw new Error(`--cut-off ${problem}`);
  if (!config.EXPORT_PSEUDONYM_KEY) {
    throw new Error('EXPORT_PSEUDONYM_KEY is not set: exports cannot be pseudonymised');
  }

  const app = await NestFactory.createApplicationContext(ExportCliModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  const stop = new AbortController();
  const interrupt = (): void => {
    log('interrupted: stopping the export');
    stop.abort(new Error('interrupted at the command line'));
  };
  process.once('SIGINT', interrupt);
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'export |{bar}| {value}/{total} steps | {step}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  try {
    const actor = `cli:${userInfo().username}`;
    const id = await app
      .get(TransactionService)
      .run({ actor, reason: `export ${profile}, cut-off ${cutOff}, from the command line` }, (em) =>
        createExport(em, {
          profile,
          cutOff,
          origin: 'request',
          requestedBy: actor,
          requestedAt: now,
          enqueue: false,
        }),
      );
    if (!id) throw new Error('the export request was not written');
    log(`export ${id}: ${profile}, cut-off ${cutOff}, requested by ${actor}`);
    const generator = app.get(ExportGenerator);
    const started = performance.now();
    let barStarted = false;
    try {
      const generated = await generator.generate(id, {
        signal: stop.signal,
        progress: ({ step, done, total }) => {
          if (!barStarted) bar.start(total, done, { step });
          barStarted = true;
          bar.update(done, { step });
          return Promise.resolve();
        },
      });
      if (!generated) throw new Error(`export ${id} was no longer waiting to be generated`);
    } catch (error) {
      bar.stop();
      await generator.markFailed(
        id,
        stop.signal.aborted ? errorMessage(stop.signal.reason) : errorMessage(error),
      );
      if (stop.signal.aborted) {
        log(`export ${id} stopped and marked failed; nothing was published`);
        process.exitCode = 130;
        return;
      }
      throw error;
    }
    bar.update(bar.getTotal(), { step: 'ready' });
    bar.stop();
    const [row]: { files: ExportFile[]; version: number; patients: number }[] = await app
      .get(DataSource)
      .query(`SELECT files, version, patients FROM audit_export WHERE id = $1`, [id]);
    const dir = join(resolve(config.EXPORT_DIR), id);
    log(
      `export ${id} ready: version ${row.version}, ${row.patients} patient(s), ${row.files.length} files in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s, in ${dir}`,
    );
    for (const file of row.files) console.log(`${file.sha256}  ${file.name}`);
  } finally {
    bar.stop();
    process.removeListener('SIGINT', interrupt);
    await app.close();
  }
}
