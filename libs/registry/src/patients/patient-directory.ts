import type { EntityManager } from 'typeorm';
import { queryPrepared } from '../../../database/src/index.js';
import { Patient } from './entities.js';
import { correctPatientFields } from './patients.queries.js';

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
