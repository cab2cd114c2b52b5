import { NotFoundException } from '@nestjs/common';
import type { EntityManager, EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';
import type { SiteScope } from '../../../access/src/index.js';
import { EntityRows, queryPrepared, updateAtVersion } from '../../../database/src/index.js';
import type { ConsentStatus } from '../rules/consent.js';
import type { EligibilityFailure } from '../rules/eligibility.js';
import type { PatientListQuery } from './dto.js';
import { Complication, ConsentEvent, EcmoRun, HospitalOutcome, IndexOperation, Patient } from './entities.js';
import { hydrateShared, type SharedRead, type SharedReads } from './extensions.js';
import type { PatientRecords } from './patient-records.js';

/**
 * The registry's reads and writes of the patient row and of a patient's records as a whole (the change frame,
 * the summary, the history). Records one at a time are in records.queries.ts, identities in
 * identities.queries.ts; what other libs read of a patient is in patient-directory.ts.
 */

/**
 * The patient row in the caller's scope, locked for the transaction; another site's patient answers as a
 * missing one (404): its existence is not disclosed.
 */
export function lockPatient(em: EntityManager, scope: SiteScope, patientId: string): Promise<Patient> {
  return patientInScope(em, scope, patientId, ' FOR UPDATE');
}

export function findPatient(em: EntityManager, scope: SiteScope, patientId: string): Promise<Patient> {
  return patientInScope(em, scope, patientId, '');
}

/** Hand-written (EntityRows): every request about a patient starts here. */
async function patientInScope(
  em: EntityManager,
  scope: SiteScope,
  patientId: string,
  lock: '' | ' FOR UPDATE',
): Promise<Patient> {
  const rows = EntityRows.of(em, Patient);
  const where = scope.whereAt('site_id', 2);
  const [patient] = await rows.query(
    em,
    `SELECT ${rows.select()} FROM ${rows.table} WHERE id = $1 AND ${where.sql}${lock}`,
    [patientId, ...where.params],
  );
  if (!patient) throw new NotFoundException('Patient not found');
  return patient;
}

/**
 * The patient row by id, without a site scope, as it stands now in the transaction (after a change that may
 * have written it; the follow-up planner's read when the change did not hand the row over).
 */
export function currentPatient(em: EntityManager, patientId: string): Promise<Patient> {
  return em.findOneByOrFail(Patient, { id: patientId });
}

/**
 * A patient's live records in one round trip: the rules run on every change, and four statements cost it
 * more than the one (issue 7: the write benchmark). Each table's rows come back as JSON, hydrated as
 * TypeORM's finds hydrate them (`EntityRows.fromJson`); the orders are those the rules expect. `shared`:
 * the hooks' shared reads, made in the same statement and seeded into `reads`.
 */
const liveRecordsSql = (complications: string) => `
  SELECT
    (SELECT row_to_json(o) FROM index_operation o WHERE o.patient_id = $1 AND o.voided_at IS NULL LIMIT 1)
      AS operation,
    (SELECT coalesce(json_agg(r ORDER BY r.started_at, r.id), '[]') FROM ecmo_run r
      WHERE r.patient_id = $1 AND r.voided_at IS NULL) AS runs,
    (SELECT coalesce(json_agg(c ORDER BY c.onset_at, c.id), '[]') FROM complication c
      WHERE c.patient_id = $1 AND c.voided_at IS NULL${complications}) AS complications,
    (SELECT row_to_json(h) FROM hospital_outcome h WHERE h.patient_id = $1 AND h.voided_at IS NULL LIMIT 1)
      AS outcome`;
const LIVE_RECORDS_SQL = liveRecordsSql('');
/** The same, with only the complication `$2` (see `settle`). */
const LIVE_RECORDS_ONE_COMPLICATION_SQL = liveRecordsSql(' AND c.id = $2');

type Json = Record<string, unknown>;

export async function loadRecords(
  em: EntityManager,
  patientId: string,
  shared?: {
    readonly wanted: readonly SharedRead[];
    readonly reads: SharedReads;
    /** Only this one of the patient's complications (see `settle`). */
    readonly complication?: string;
  },
): Promise<PatientRecords> {
  const wanted = shared?.wanted ?? [];
  const only = shared?.complication;
  const text =
    (only === undefined ? LIVE_RECORDS_SQL : LIVE_RECORDS_ONE_COMPLICATION_SQL) +
    wanted.map((read, i) => `,\n    (${read.json}) AS shared_${i}`).join('');
  const [row] = await queryPrepared<{
    operation: Json | null;
    runs: Json[];
    complications: Json[];
    outcome: Json | null;
    [shared: `shared_${number}`]: Json[];
  }>(em, text, only === undefined ? [patientId] : [patientId, only]);
  wanted.forEach((read, i) =>
    shared?.reads.seed(read, patientId, hydrateShared(em, read, row[`shared_${i}`])),
  );
  const operation = EntityRows.of(em, IndexOperation);
  const runs = EntityRows.of(em, EcmoRun);
  const complications = EntityRows.of(em, Complication);
  const outcome = EntityRows.of(em, HospitalOutcome);
  return {
    operation: row.operation ? operation.fromJson(row.operation) : null,
    runs: row.runs.map((r) => runs.fromJson(r)),
    complications: row.complications.map((c) => complications.fromJson(c)),
    outcome: row.outcome ? outcome.fromJson(row.outcome) : null,
  };
}

/**
 * Every record of the patient once, voided ones included (they stay visible, marked), in the summary's
 * orders; the rules read the live ones. Hand-written (EntityRows): the summary is the registry's most
 * frequent read.
 */
export async function everyRecordOf(em: EntityManager, patientId: string) {
  const of = <E extends ObjectLiteral>(target: EntityTarget<E>, order: string) =>
    EntityRows.of(em, target).by(em, 'patient_id', patientId, order);
  return {
    operations: await of(IndexOperation, 'created_at, id'),
    runs: await of(EcmoRun, 'started_at, id'),
    consent: await of(ConsentEvent, 'occurred_at, created_at, id'),
    complications: await of(Complication, 'onset_at, id'),
    outcomes: await of(HospitalOutcome, 'created_at, id'),
  };
}

/** Enrols the patient row; answers its id. */
export async function insertPatient(
  em: EntityManager,
  patient: QueryDeepPartialEntity<Patient>,
): Promise<string> {
  const inserted = await em.insert(Patient, patient);
  return inserted.identifiers[0].id as string;
}

/** Patients in scope, by registry ID order (keyset paging), optionally one exact registry ID. */
/** Conditions other modules add to the list's filters, on their own tables (see PatientExtensions). */
export interface ListConditions {
  /** A visit in the state `:visitStatus`. */
  readonly visitStatus: ReadonlyArray<(patient: string, parameter: string) => string>;
  /** A death recorded outside the registry's records (at a follow-up visit). */
  readonly diedElsewhere: ReadonlyArray<(patient: string, parameter: string) => string>;
}

export async function patientList(
  em: EntityManager,
  scope: SiteScope,
  query: PatientListQuery,
  conditions: ListConditions = { visitStatus: [], diedElsewhere: [] },
): Promise<Patient[]> {
  const where = scope.where('patient.site_id');
  const qb = em
    .createQueryBuilder(Patient, 'patient')
    .where(where.sql, where.params)
    .orderBy('patient.registry_id')
    .limit(query.limit ?? 50);
  if (query.registryId) qb.andWhere('patient.registry_id = :registryId', { registryId: query.registryId });
  if (query.registryIdContains) {
    // Letters, digits and hyphens only (validated): no LIKE wildcard can come from the caller.
    qb.andWhere(`patient.registry_id ILIKE '%' || :part || '%'`, { part: query.registryIdContains });
  }
  if (query.consentState)
    qb.andWhere('patient.consent_state = :consentState', { consentState: query.consentState });
  if (query.vitalStatus) {
    const died = [
      `EXISTS (SELECT 1 FROM hospital_outcome o
                WHERE o.patient_id = patient.id AND o.voided_at IS NULL AND o.kind = 'death')`,
      `EXISTS (SELECT 1 FROM ecmo_run r
                WHERE r.patient_id = patient.id AND r.voided_at IS NULL AND r.end_reason = 'died_on_ecmo')`,
      ...conditions.diedElsewhere.map((c) => c('patient', '')),
    ].join(' OR ');
    qb.andWhere(query.vitalStatus === 'dead' ? `(${died})` : `NOT (${died})`);
  }
  if (query.visitStatus) {
    const any = conditions.visitStatus.map((c) => c('patient', ':visitStatus'));
    qb.andWhere(any.length > 0 ? `(${any.join(' OR ')})` : 'false', { visitStatus: query.visitStatus });
  }
  if (query.after) qb.andWhere('patient.registry_id > :after', { after: query.after });
  return qb.getMany();
}

/** Those of the patients `ids` (a search's matches) that are in scope, by registry ID. */
export function patientsInScope(
  em: EntityManager,
  scope: SiteScope,
  ids: readonly string[],
): Promise<Patient[]> {
  const where = scope.where('patient.site_id');
  return em
    .createQueryBuilder(Patient, 'patient')
    .where('patient.id = ANY(:ids)', { ids })
    .andWhere(where.sql, where.params)
    .orderBy('patient.registry_id')
    .getMany();
}

/**
 * Corrects the patient's own fields if the row is still at `version` (bumping it); answers how many rows
 * changed (0: the patient changed since the caller read it).
 */
export async function correctPatientFields(
  em: EntityManager,
  patientId: string,
  version: number,
  set: Partial<Patient>,
): Promise<number | undefined> {
  return updateAtVersion(em, Patient, patientId, version, set);
}

/** Moves the patient to `siteId` (a transfer), bumping the row's version. */
export async function movePatient(em: EntityManager, patientId: string, siteId: string): Promise<void> {
  await em
    .createQueryBuilder()
    .update(Patient)
    .set({ siteId, version: () => 'version + 1' })
    .where('id = :id', { id: patientId })
    .execute();
}

/** The eligibility failures and age derived from the recorded facts (derived columns: no version bump). */
export async function setDerivedEligibility(
  em: EntityManager,
  patientId: string,
  failures: EligibilityFailure[],
  age: number,
): Promise<void> {
  await em.update(Patient, { id: patientId }, { eligibilityFailures: failures, ageAtEcmoStart: age });
}

/** The consent state and withdrawal instants derived from the consent timeline. */
export async function setConsentState(
  em: EntityManager,
  patientId: string,
  status: ConsentStatus,
): Promise<void> {
  await em.update(
    Patient,
    { id: patientId },
    {
      consentState: status.state,
      countingOnlySince: status.countingOnlySince,
      contactWithdrawnAt: status.contactWithdrawnAt,
      dataCollectionWithdrawnAt: status.dataCollectionWithdrawnAt,
      exportWithdrawnAt: status.exportWithdrawnAt,
    },
  );
}

/** The clinical tables whose rows belong to a patient through `patient_id`. */
const RECORD_TABLES = ['consent_event', 'index_operation', 'ecmo_run', 'complication', 'hospital_outcome'];

/** Every clinical record of the patient, voided ones included, by table (where the history looks). */
export function recordIdsOf(
  em: EntityManager,
  patientId: string,
): Promise<Array<{ entity_type: string; id: string }>> {
  return em.query<Array<{ entity_type: string; id: string }>>(
    RECORD_TABLES.map(
      (t) => `SELECT '${t}' AS entity_type, id::text AS id FROM ${t} WHERE patient_id = $1`,
    ).join(' UNION ALL '),
    [patientId],
  );
}
