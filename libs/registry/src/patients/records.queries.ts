import { type EntityManager, type EntityTarget, IsNull, type QueryDeepPartialEntity } from 'typeorm';
import { EntityRows, updateAtVersion } from '../../../database/src/index.js';
import { type ClinicalRecord, Complication, ConsentEvent, EcmoRun, IndexOperation } from './entities.js';

/**
 * The registry's reads and writes of a patient's clinical records one at a time: recording, correcting and
 * voiding them, and the consent timeline. Corrections and voids are conditional UPDATEs on the version the
 * nurse read; each answers how many rows it changed (0: the record changed meanwhile, or is not there).
 */

/** One of the patient's records of a kind, voided or not; undefined when the patient has no such record. */
export async function recordOf<E extends ClinicalRecord>(
  em: EntityManager,
  entity: EntityTarget<E>,
  patientId: string,
  id: string,
): Promise<E | undefined> {
  const [record] = await EntityRows.of(em, entity).where(em, 'id = $1 AND patient_id = $2', [id, patientId]);
  return record;
}

/**
 * Records a clinical record (a complication, an operation, a run, an outcome); answers its id. Hand-written
 * (EntityRows, prepared): recording a complication is the write benchmark's hot path.
 */
export async function insertRecord<E extends ClinicalRecord>(
  em: EntityManager,
  entity: EntityTarget<E>,
  record: Partial<E>,
): Promise<string> {
  const [id] = await EntityRows.of(em, entity).insert(em, [record]);
  return id;
}

export async function correctRecord<E extends ClinicalRecord>(
  em: EntityManager,
  entity: EntityTarget<E>,
  id: string,
  version: number,
  set: Partial<E>,
): Promise<number | undefined> {
  return updateAtVersion(em, entity, id, version, set as QueryDeepPartialEntity<E>);
}

/** "Entered in error": marks the record void with the reason (it stays, out of the current state). */
export async function voidRecord<E extends ClinicalRecord>(
  em: EntityManager,
  entity: EntityTarget<E>,
  id: string,
  version: number,
  reason: string,
): Promise<number | undefined> {
  return updateAtVersion(em, entity, id, version, {
    voidedAt: () => 'now()',
    voidReason: reason,
  } as QueryDeepPartialEntity<E>);
}

/** How many live complications are recorded on the ECMO run (a run is voided only without them). */
export function liveComplicationsOnRun(em: EntityManager, runId: string): Promise<number> {
  return em.countBy(Complication, { ecmoRunId: runId, voidedAt: IsNull() });
}

/** The enrolment's index operation. */
export async function insertIndexOperation(
  em: EntityManager,
  operation: QueryDeepPartialEntity<IndexOperation>,
): Promise<void> {
  await em.insert(IndexOperation, operation);
}

/** The enrolment's first ECMO run. */
export async function insertEcmoRun(em: EntityManager, run: QueryDeepPartialEntity<EcmoRun>): Promise<void> {
  await em.insert(EcmoRun, run);
}

/** Appends an event to the consent timeline; answers its id. */
export async function insertConsentEvent(
  em: EntityManager,
  event: QueryDeepPartialEntity<ConsentEvent>,
): Promise<string> {
  const { identifiers } = await em.insert(ConsentEvent, event);
  return identifiers[0].id as string;
}

/** The patient's consent timeline, voided events left out, in the order the events happened. */
export function liveConsentEvents(em: EntityManager, patientId: string): Promise<ConsentEvent[]> {
  return em.find(ConsentEvent, {
    where: { patientId, voidedAt: IsNull() },
    order: { occurredAt: 'ASC', createdAt: 'ASC' },
  });
}
