import type { EntityManager } from 'typeorm';
import { EntityRows, queryPrepared } from '../../../database/src/index.js';
import { Patient } from './entities.js';
import { correctPatientFields, loadRecords } from './patients.queries.js';
import { completeness, type CompletenessItem } from './views.js';

/**
 * What other libs read of a patient outside the change frame (the worker's jobs, follow-up's lists), asked
 * here: the registry's tables are named in the registry alone.
 */

/**
 * The patients' ids, registry IDs, sites and where their follow-up stands (contact withdrawn, data collection
 * withdrawn, lost to follow-up), as a relation another lib joins in its own statement
 * (`JOIN ${PATIENT_REFS} p ON p.id = v.patient_id`): PostgreSQL inlines it, so a list of a site's visits
 * stays one statement, and the registry's table stays named here.
 */
export const PATIENT_REFS = `(SELECT id, registry_id, site_id, contact_withdrawn_at, data_collection_withdrawn_at,
    lost_to_follow_up_on FROM patient)`;

/**
 * Locks the patient row for the rest of the transaction, without a site scope (the worker's jobs): `update`
 * to change what hangs off it (as every patient change does), `share` to keep it from changing meanwhile.
 */
export async function lockPatientRow(
  em: EntityManager,
  patientId: string,
  mode: 'update' | 'share',
): Promise<void> {
  await em.query(`SELECT 1 FROM patient WHERE id = $1 FOR ${mode === 'update' ? 'UPDATE' : 'SHARE'}`, [
    patientId,
  ]);
}

/**
 * How the patient chose to be reminded (`sms`, `email`, `none`), kept in clear beside the sealed contact
 * details; null when the patient has no identity left (declined). Prepared: every patient change that
 * replans reminders asks.
 */
export async function reminderChannelOf(em: EntityManager, patientId: string): Promise<string | null> {
  const [identity] = await queryPrepared<{ reminder_channel: string }>(
    em,
    `SELECT reminder_channel FROM patient_identity WHERE id = $1`,
    [patientId],
  );
  return identity?.reminder_channel ?? null;
}

/** What may stop a reminder now: contact withdrawn, and the channel chosen (null without an identity). */
export async function reminderContact(
  em: EntityManager,
  patientId: string,
): Promise<{ readonly contactWithdrawnAt: Date | null; readonly reminderChannel: string | null }> {
  const [row] = await em.query<Array<{ contact_withdrawn_at: Date | null; reminder_channel: string | null }>>(
    `SELECT p.contact_withdrawn_at, i.reminder_channel
       FROM patient p LEFT JOIN patient_identity i ON i.id = p.id
      WHERE p.id = $1`,
    [patientId],
  );
  return {
    contactWithdrawnAt: row?.contact_withdrawn_at ?? null,
    reminderChannel: row?.reminder_channel ?? null,
  };
}

/** The site the patient is followed up at now (after a transfer, the new one), or null. */
export async function siteOfPatient(em: EntityManager, patientId: string): Promise<string | null> {
  const [row] = await em.query<Array<{ site_id: string }>>(`SELECT site_id FROM patient WHERE id = $1`, [
    patientId,
  ]);
  return row?.site_id ?? null;
}

/** The fields of the patient row that say where their follow-up stands, which follow-up changes. */
export type FollowUpFields = Partial<
  Pick<Patient, 'protocolVersion' | 'extendedFollowUp' | 'lostToFollowUpOn'>
>;

/**
 * Puts a patient not yet on a protocol on `version`: derived by the planner, so no version bump (the nurse's
 * ETag stays valid for what she changed).
 */
export async function setProtocolVersion(
  em: EntityManager,
  patientId: string,
  version: number,
): Promise<void> {
  await em.update(Patient, { id: patientId }, { protocolVersion: version });
}

/**
 * Changes the patient's follow-up fields as a nurse's edit of the patient at `version` (the version goes up
 * by one); answers how many rows changed (0: the patient changed meanwhile).
 */
export async function changeFollowUpFields(
  em: EntityManager,
  patientId: string,
  version: number,
  set: FollowUpFields,
): Promise<number | undefined> {
  return correctPatientFields(em, patientId, version, set);
}

// The nurses' worklist asks these of a site's patients (follow-up builds the list, the registry reads its
// own tables). Patients kept only as a count are in none of them.

/** A patient on a worklist section: the registry ID only, never a name or number. */
export interface PatientWorkItem {
  readonly patientId: string;
  readonly registryId: string;
}

export interface ConsentToSeekItem extends PatientWorkItem {
  readonly consentState: string;
  /** The latest consent event (the enrolment, or a consultee's advice). */
  readonly since: string;
}

export interface InpatientItem extends PatientWorkItem {
  readonly ecmoStartedAt: string;
  readonly onEcmo: boolean;
}

export interface IncompleteRecordItem extends PatientWorkItem {
  readonly missing: number;
  readonly fields: CompletenessItem[];
}

/**
 * Patients whose own consent is still to be sought: enrolled in an emergency, or on a consultee's advice
 * only; not those whose death the record holds. Longest waiting first.
 */
export function consentToSeek(em: EntityManager, siteId: string): Promise<ConsentToSeekItem[]> {
  return em.query(
    `SELECT p.id AS "patientId", p.registry_id AS "registryId", p.consent_state AS "consentState",
            to_json(last.occurred_at) #>> '{}' AS since
       FROM patient p
       CROSS JOIN LATERAL (SELECT e.occurred_at FROM consent_event e
                            WHERE e.patient_id = p.id AND e.voided_at IS NULL
                            ORDER BY e.occurred_at DESC LIMIT 1) last
      WHERE p.site_id = $1 AND p.counting_only_since IS NULL
        AND p.consent_state IN ('emergency_enrolled', 'consultee_agreed')
        AND NOT EXISTS (SELECT 1 FROM hospital_outcome o
                         WHERE o.patient_id = p.id AND o.voided_at IS NULL AND o.kind = 'death')
        AND NOT EXISTS (SELECT 1 FROM ecmo_run r
                         WHERE r.patient_id = p.id AND r.voided_at IS NULL AND r.end_reason = 'died_on_ecmo')
      ORDER BY last.occurred_at, p.registry_id`,
    [siteId],
  );
}

/** Patients with no hospital outcome yet (still in hospital, or its outcome not recorded), longest stay first. */
export function inpatientsWithoutOutcome(em: EntityManager, siteId: string): Promise<InpatientItem[]> {
  return em.query(
    `SELECT p.id AS "patientId", p.registry_id AS "registryId",
            to_json(min(r.started_at)) #>> '{}' AS "ecmoStartedAt", bool_or(r.ended_at IS NULL) AS "onEcmo"
       FROM patient p JOIN ecmo_run r ON r.patient_id = p.id AND r.voided_at IS NULL
      WHERE p.site_id = $1 AND p.counting_only_since IS NULL AND p.data_collection_withdrawn_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM hospital_outcome o WHERE o.patient_id = p.id AND o.voided_at IS NULL)
      GROUP BY p.id, p.registry_id
      ORDER BY min(r.started_at), p.registry_id`,
    [siteId],
  );
}

/** The site's patients whose records could be incomplete (the rest is the completeness rule's to say). */
export function patientsToCheck(em: EntityManager, siteId: string): Promise<Patient[]> {
  return EntityRows.of(em, Patient).where(
    em,
    `site_id = $1 AND counting_only_since IS NULL AND data_collection_withdrawn_at IS NULL ORDER BY registry_id`,
    [siteId],
  );
}

/**
 * The site's patients whose record lacks expected fields with no missing reason (the summary's completeness
 * list), each with how many and which: one read of the records per patient of the site.
 */
export async function incompleteRecords(em: EntityManager, siteId: string): Promise<IncompleteRecordItem[]> {
  const items: IncompleteRecordItem[] = [];
  for (const patient of await patientsToCheck(em, siteId)) {
    const fields = completeness(patient, await loadRecords(em, patient.id));
    if (fields.length > 0) {
      items.push({ patientId: patient.id, registryId: patient.registryId, missing: fields.length, fields });
    }
  }
  return items;
}
