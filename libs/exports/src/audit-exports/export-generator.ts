import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { AppConfig, Clock } from '../../../config/src/index.js';
import { applyAuditContext, TransactionService } from '../../../database/src/index.js';
import { JobHandler, JobName } from '../../../queue/src/index.js';
import { dataDictionary, type ValueSetVersion } from '../dataset/dictionary.js';
import { PseudonymisingStream, type PatientKeying } from '../dataset/pseudonymising-stream.js';
import { cohortQuery, copyQuery, cutOffOf, EXPORT_TABLES } from '../dataset/tables.js';
import { Pseudonymiser } from '../pseudonym.js';
import { auditReport } from '../report/audit-report.js';
import { factsQuery, type PatientFacts } from '../report/facts.js';
import { criteriaCsv, reportCsv } from '../report/report-csv.js';
import { reportHtml } from '../report/report-html.js';
import { EXPORT_ACTOR, type ExportProfile } from './export-requests.js';
import { ExportStorage } from './export-storage.js';
import { errorMessage } from '../../../observability/src/error-message.js';

/** A file of an export, as the manifest and the export row list it. */
export interface ExportFile {
  readonly name: string;
  readonly rows: number | null;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ExportProgress {
  readonly step: string;
  readonly done: number;
  readonly total: number;
}

interface ExportRow {
  id: string;
  profile: ExportProfile;
  cut_off: string;
  version: number;
  origin: string;
  status: string;
  requested_at: Date;
}

export const MANIFEST = 'manifest.json';
export const DICTIONARY = 'data_dictionary.csv';
export const REPORT_JSON = 'audit_report.json';
export const REPORT_CSV = 'audit_report.csv';
export const CRITERIA_CSV = 'audit_criteria.csv';
export const REPORT_HTML = 'audit_report.html';

/**
 * Generates an export: every file from one REPEATABLE READ snapshot of the database, so the files agree with
 * each other and with the export log, whatever is being written meanwhile. The patient-level files stream
 * from `COPY (SELECT …) TO STDOUT` through the pseudonymising stream to disk (memory does not grow with the
 * cohort). The export becomes `ready` in the same transaction that wrote its log, after its folder is in
 * place; a crash before that leaves it `running`, and the retry starts again from an empty folder.
 *
 * The data files hold no generation time, version or request: the same database state, cut-off and profile
 * give byte-identical files. The manifest carries what differs (when, which version, which software).
 */
@Injectable()
export class ExportGenerator {
  private readonly logger = new Logger(ExportGenerator.name);
  private readonly pseudonymiser: Pseudonymiser | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly storage: ExportStorage,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.pseudonymiser = config.EXPORT_PSEUDONYM_KEY
      ? new Pseudonymiser(config.EXPORT_PSEUDONYM_KEY, config.EXPORT_DATE_SHIFT_MAX_DAYS)
      : null;
  }

  /** Generates the export unless it is already delivered or given up; answers whether it did. */
  async generate(exportId: string, progress: (p: ExportProgress) => Promise<void> = async () => {}) {
    const pseudonymiser = this.pseudonymiser;
    if (!pseudonymiser) throw new Error('EXPORT_PSEUDONYM_KEY is not set: exports cannot be pseudonymised');
    const row = await this.claim(exportId);
    if (!row) return false;
    const started = Date.now();
    const dir = await this.storage.prepare(exportId);
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction('REPEATABLE READ');
      await applyAuditContext(runner.manager, {
        actor: EXPORT_ACTOR,
        reason: `export ${row.profile} v${row.version}`,
      });
      const files = await this.writeFiles(runner, client, row, dir, pseudonymiser, progress);
      await this.storage.publish(
        exportId,
        files.files.map((f) => f.name),
      );
      await runner.query(
        `UPDATE audit_export SET status = 'ready', files = $2::jsonb, patients = $3, finished_at = $4,
                software_version = $5 WHERE id = $1`,
        [exportId, JSON.stringify(files.files), files.patients, this.clock.now(), this.config.APP_VERSION],
      );
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
    this.logger.log(
      { exportId, profile: row.profile, version: row.version, ms: Date.now() - started },
      'audit export ready',
    );
    return true;
  }

  /** After the last attempt: the export says it failed (a new request makes a new version). */
  async markFailed(exportId: string, reason: string): Promise<void> {
    await this.transactions.run({ actor: EXPORT_ACTOR, reason: 'export failed' }, async (em) => {
      await em.query(
        `UPDATE audit_export SET status = 'failed', failure = $2, finished_at = $3
          WHERE id = $1 AND status IN ('queued', 'running')`,
        [exportId, reason.slice(0, 500), this.clock.now()],
      );
    });
  }

  private async claim(exportId: string): Promise<ExportRow | null> {
    return this.transactions.run({ actor: EXPORT_ACTOR, reason: 'export started' }, async (em) => {
      // TypeORM answers an UPDATE … RETURNING with [rows, count].
      const [rows]: [ExportRow[], number] = await em.query(
        `UPDATE audit_export SET status = 'running', attempts = attempts + 1,
                started_at = COALESCE(started_at, $2)
          WHERE id = $1 AND status IN ('queued', 'running')
          RETURNING id, profile, cut_off::text AS cut_off, version, origin, status, requested_at`,
        [exportId, this.clock.now()],
      );
      return rows[0] ?? null;
    });
  }

  private async writeFiles(
    runner: QueryRunner,
    client: PoolClient,
    row: ExportRow,
    dir: string,
    pseudonymiser: Pseudonymiser,
    progress: (p: ExportProgress) => Promise<void>,
  ): Promise<{ files: ExportFile[]; patients: number }> {
    const cut = cutOffOf(row.cut_off);
    const external = row.profile === 'external_audit';
    const total = EXPORT_TABLES.length + 3;
    // The export log: which patients' rows this export holds (domain guide §3, withdrawal level c).
    const logged: { patients: number }[] = await runner.manager.query(
      `WITH logged AS (INSERT INTO audit_export_patient (export_id, patient_id)
                       SELECT $1, c.id FROM (${cohortQuery(cut)}) c RETURNING 1)
       SELECT count(*)::int AS patients FROM logged`,
      [row.id],
    );
    const keying: PatientKeying = {
      pseudonym: (id) => pseudonymiser.pseudonym(id),
      shiftDays: (id) => (external ? pseudonymiser.shiftDays(id) : 0),
    };

    const files: ExportFile[] = [];
    for (const table of EXPORT_TABLES) {
      await progress({ step: table.file, done: files.length, total });
      const stream = new PseudonymisingStream(
        table.columns.map((c) => c.name),
        table.columns.map((c) => c.kind),
        keying,
      );
      await pipeline(
        client.query(copyTo(copyQuery(table, cut))),
        stream,
        createWriteStream(join(dir, table.file)),
      );
      files.push({ name: table.file, rows: stream.rows, bytes: stream.bytes, sha256: stream.sha256() });
    }

    await progress({ step: REPORT_JSON, done: files.length, total });
    const facts = await runner.manager.query<PatientFacts[]>(factsQuery(cut));
    const report = auditReport(facts, {
      cut,
      disclosure: external
        ? { threshold: this.config.DISCLOSURE_THRESHOLD, rounding: this.config.DISCLOSURE_ROUNDING }
        : null,
      followUpStandard: this.config.FOLLOW_UP_STANDARD_PERCENT,
    });
    files.push(await writeText(dir, REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`, null));
    files.push(await writeText(dir, REPORT_CSV, reportCsv(report), null));
    files.push(await writeText(dir, CRITERIA_CSV, criteriaCsv(report), report.criteria.length));
    files.push(await writeText(dir, REPORT_HTML, reportHtml(report, row.profile), null));

    await progress({ step: DICTIONARY, done: files.length, total });
    const valueSets = await this.valueSets(runner);
    files.push(await writeText(dir, DICTIONARY, dataDictionary(EXPORT_TABLES, valueSets, external), null));

    await progress({ step: MANIFEST, done: files.length, total });
    const protocols: { version: number; title: string }[] = await runner.manager.query(
      `SELECT version, title FROM follow_up_protocol ORDER BY version`,
    );
    const manifest = {
      export: {
        id: row.id,
        profile: row.profile,
        cutOff: row.cut_off,
        cutOffEndsAt: cut.endsAt.toISOString(),
        version: row.version,
        origin: row.origin,
        requestedAt: row.requested_at.toISOString(),
        generatedAt: this.clock.now().toISOString(),
      },
      software: { name: 'ecmo-registry', version: this.config.APP_VERSION },
      dates: external
        ? `shifted per patient by a whole number of days, between -${this.config.EXPORT_DATE_SHIFT_MAX_DAYS} and +${this.config.EXPORT_DATE_SHIFT_MAX_DAYS}, never 0, the same in every file`
        : 'exact',
      pseudonym: 'HMAC-SHA-256 of the internal patient id, key held outside the database',
      patients: logged[0].patients,
      protocols,
      valueSets: Object.fromEntries([...valueSets].map(([name, set]) => [name, set.version])),
      files,
    };
    const manifestFile = await writeText(dir, MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`, null);
    return { files: [...files, manifestFile], patients: logged[0].patients };
  }

  /** The current version of every value set, with its codes in order. */
  private async valueSets(runner: QueryRunner): Promise<Map<string, ValueSetVersion>> {
    const rows: { value_set: string; version: number; codes: string[] }[] = await runner.manager.query(
      `SELECT v.value_set, v.version, array_agg(c.code ORDER BY c.sort_order, c.code) AS codes
         FROM value_set_version v JOIN value_set_code c USING (value_set, version)
        WHERE v.version = (SELECT max(w.version) FROM value_set_version w WHERE w.value_set = v.value_set)
        GROUP BY v.value_set, v.version ORDER BY v.value_set`,
    );
    return new Map(rows.map((r) => [r.value_set, { version: r.version, codes: r.codes }]));
  }
}

async function writeText(dir: string, name: string, text: string, rows: number | null): Promise<ExportFile> {
  const bytes = Buffer.from(text, 'utf8');
  await writeFile(join(dir, name), bytes);
  return { name, rows, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The worker's handler of export jobs. */
@Injectable()
export class ExportJobs {
  constructor(private readonly generator: ExportGenerator) {}

  @JobHandler(JobName.GenerateExport)
  async generate(payload: { exportId: string }, job: Job): Promise<void> {
    try {
      await this.generator.generate(payload.exportId, (p) => job.updateProgress({ ...p }));
    } catch (error) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last) await this.generator.markFailed(payload.exportId, errorMessage(error));
      throw error;
    }
  }
}
