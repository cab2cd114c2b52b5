import type { EntityManager, QueryRunner } from 'typeorm';
import { cohortQuery, type CutOff } from '../dataset/tables.js';
import type { ExportClaim, ExportProfile, ExportRecord } from './audit-export.js';

/** The statements of audit exports: their requests, their generation, and how the api reads them. */

/**
 * The two keys of the session advisory lock a generation holds on its export, for the export id given as
 * SQL. The reconciler looks for them in `pg_locks` to leave alone an export a process is generating.
 */
export const generationLock = (idSql: string): readonly [string, string] => [
  `hashtext('audit_export_generation')`,
  `hashtext(${idSql}::text)`,
];

const COLUMNS = `id, profile, cut_off::text AS cut_off, version, origin, status, requested_by, requested_at, attempts,
  started_at, finished_at, patients, files, software_version, failure`;

/**
 * Inserts an export request as the next version of its cut-off and profile; null when a scheduled request
 * for them exists already. Versions are numbered under a transaction-scoped lock, so two requests at once
 * get 1 and 2, not a unique-violation.
 */
export async function insertExportRequest(
  em: EntityManager,
  request: {
    readonly profile: ExportProfile;
    readonly cutOff: string;
    readonly origin: 'request' | 'schedule';
    readonly requestedBy: string;
    readonly requestedAt: Date;
  },
): Promise<string | null> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('audit_export'), hashtext($1))`, [
    `${request.cutOff}/${request.profile}`,
  ]);
  const rows: { id: string }[] = await em.query(
    `INSERT INTO audit_export (profile, cut_off, version, origin, status, requested_by, requested_at)
     SELECT $1, $2::date, COALESCE(max(version), 0) + 1, $3, 'queued', $4, $5
       FROM audit_export WHERE cut_off = $2::date AND profile = $1
     ON CONFLICT (cut_off, profile) WHERE origin = 'schedule' DO NOTHING
     RETURNING id`,
    [request.profile, request.cutOff, request.origin, request.requestedBy, request.requestedAt],
  );
  return rows[0]?.id ?? null;
}

/** Exports queued or running since before `before` that no process is generating (no generation lock). */
export async function exportsLeftWaiting(em: EntityManager, before: Date): Promise<string[]> {
  const rows: { id: string }[] = await em.query(
    `SELECT e.id FROM audit_export e
      WHERE e.status IN ('queued', 'running') AND e.requested_at < $1
        AND NOT EXISTS (
              SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.objsubid = 2
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND (l.classid, l.objid) = (${generationLock('e.id')[0]}::oid, ${generationLock('e.id')[1]}::oid))`,
    [before],
  );
  return rows.map((r) => r.id);
}

/** The latest exports of these profiles, newest first. */
export function listExports(
  em: EntityManager,
  profiles: readonly ExportProfile[],
  limit: number,
): Promise<ExportRecord[]> {
  return em.query<ExportRecord[]>(
    `SELECT ${COLUMNS} FROM audit_export WHERE profile = ANY($1) ORDER BY requested_at DESC, id LIMIT $2`,
    [profiles, limit],
  );
}

/** The export, if it is of one of these profiles. */
export async function findExport(
  em: EntityManager,
  exportId: string,
  profiles: readonly ExportProfile[],
): Promise<ExportRecord | null> {
  const rows = await em.query<ExportRecord[]>(
    `SELECT ${COLUMNS} FROM audit_export WHERE id = $1 AND profile = ANY($2)`,
    [exportId, profiles],
  );
  return rows[0] ?? null;
}

/**
 * The publication a reader of this export may already hold: the latest ready export of the same profile for
 * an earlier cut-off (its last version).
 */
export async function previousReadyExport(
  em: EntityManager,
  profile: ExportProfile,
  cutOff: string,
): Promise<{ id: string; cut_off: string } | null> {
  const rows = await em.query<{ id: string; cut_off: string }[]>(
    `SELECT id, cut_off::text AS cut_off FROM audit_export
      WHERE profile = $1 AND status = 'ready' AND cut_off < $2::date
      ORDER BY cut_off DESC, version DESC LIMIT 1`,
    [profile, cutOff],
  );
  return rows[0] ?? null;
}

/** Takes the export's generation lock on the runner's own connection (a crash releases it); false if held. */
export async function tryLockGeneration(runner: QueryRunner, exportId: string): Promise<boolean> {
  const [{ locked }] = await runner.manager.query<{ locked: boolean }[]>(
    `SELECT pg_try_advisory_lock(${generationLock('$1').join(', ')}) AS locked`,
    [exportId],
  );
  return locked;
}

export async function unlockGeneration(runner: QueryRunner, exportId: string): Promise<void> {
  await runner.query(`SELECT pg_advisory_unlock(${generationLock('$1').join(', ')})`, [exportId]);
}

/** Marks the export running (one more attempt) unless it is delivered or given up; null then. */
export async function claimExport(
  em: EntityManager,
  exportId: string,
  now: Date,
): Promise<ExportClaim | null> {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  const [rows]: [ExportClaim[], number] = await em.query(
    `UPDATE audit_export SET status = 'running', attempts = attempts + 1,
            started_at = COALESCE(started_at, $2)
      WHERE id = $1 AND status IN ('queued', 'running')
      RETURNING id, profile, cut_off::text AS cut_off, version, origin, status, requested_at`,
    [exportId, now],
  );
  return rows[0] ?? null;
}

/** The export log: which patients' rows this export holds (domain guide §3, withdrawal level c); answers how many. */
export async function logExportPatients(em: EntityManager, exportId: string, cut: CutOff): Promise<number> {
  const logged: { patients: number }[] = await em.query(
    `WITH logged AS (INSERT INTO audit_export_patient (export_id, patient_id)
                     SELECT $1, c.id FROM (${cohortQuery(cut)}) c RETURNING 1)
     SELECT count(*)::int AS patients FROM logged`,
    [exportId],
  );
  return logged[0].patients;
}

export async function markExportReady(
  runner: QueryRunner,
  exportId: string,
  done: { files: unknown; patients: number; finishedAt: Date; softwareVersion: string },
): Promise<void> {
  await runner.query(
    `UPDATE audit_export SET status = 'ready', files = $2::jsonb, patients = $3, finished_at = $4,
            software_version = $5 WHERE id = $1`,
    [exportId, JSON.stringify(done.files), done.patients, done.finishedAt, done.softwareVersion],
  );
}

export async function markExportFailed(
  em: EntityManager,
  exportId: string,
  reason: string,
  now: Date,
): Promise<void> {
  await em.query(
    `UPDATE audit_export SET status = 'failed', failure = $2, finished_at = $3
      WHERE id = $1 AND status IN ('queued', 'running')`,
    [exportId, reason.slice(0, 500), now],
  );
}
