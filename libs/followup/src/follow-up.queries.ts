import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { EntityRows, nextNumber } from '../../database/src/index.js';
import { Appointment } from './appointments/appointment.entity.js';
import { FollowUpAssessment } from './assessments/assessment.entity.js';
import { FollowUpProtocol, FollowUpVisit } from './entities.js';
import { Reminder } from './reminders/reminder.entity.js';

/** The statements of the protocols and of each patient's follow-up plan (follow-up.service.ts). */

/** Every published protocol, oldest first. */
export function allProtocols(em: EntityManager): Promise<FollowUpProtocol[]> {
  return em.getRepository(FollowUpProtocol).find({ order: { version: 'ASC' } });
}

/** Every published version's number and title, oldest first (an export's manifest lists them). */
export function publishedProtocols(em: EntityManager): Promise<Array<{ version: number; title: string }>> {
  return em.query<Array<{ version: number; title: string }>>(
    `SELECT version, title FROM follow_up_protocol ORDER BY version`,
  );
}

export function protocolOfVersion(em: EntityManager, version: number): Promise<FollowUpProtocol | null> {
  return em.getRepository(FollowUpProtocol).findOneBy({ version });
}

export function protocolExists(em: EntityManager, version: number): Promise<boolean> {
  return em.existsBy(FollowUpProtocol, { version });
}

/** The version after the latest published one. */
export function nextProtocolVersion(em: EntityManager): Promise<number> {
  return nextNumber(em, 'follow_up_protocol', 'version');
}

export async function insertProtocol(
  em: EntityManager,
  protocol: Pick<FollowUpProtocol, 'version' | 'title' | 'visits' | 'notes' | 'publishedBy'>,
): Promise<void> {
  await em.insert(FollowUpProtocol, protocol);
}

/** The patient's visits, appointments, assessments (voided too) and reminders, for the summary. */
export async function followUpRecordsOf(em: EntityManager, patientId: string) {
  // Hand-written (EntityRows): part of every patient summary.
  const of = <E extends ObjectLiteral>(target: EntityTarget<E>, order: string) =>
    EntityRows.of(em, target).by(em, 'patient_id', patientId, order);
  const visits = await of(FollowUpVisit, 'protocol_version, sequence, id');
  const appointments = await of(Appointment, 'created_at, id');
  const assessments = await of(FollowUpAssessment, 'assessed_on, created_at, id');
  const reminders = await of(Reminder, 'id');
  return { visits, appointments, assessments, reminders };
}

/** Follow-up's records of a patient (visits, assessments, appointments), for the patient's history. */
export function followUpRecordsForHistory(
  em: EntityManager,
  patientId: string,
): Promise<Array<{ entityType: string; entityId: string; clinical: boolean }>> {
  // Assessments are clinical data (a change is a correction); visits and appointments are the plan's state.
  return em.query<Array<{ entityType: string; entityId: string; clinical: boolean }>>(
    `SELECT 'follow_up_visit' AS "entityType", id::text AS "entityId", false AS clinical
       FROM follow_up_visit WHERE patient_id = $1
     UNION ALL
     SELECT 'follow_up_assessment', id::text, true FROM follow_up_assessment WHERE patient_id = $1
     UNION ALL
     SELECT 'appointment', id::text, false FROM appointment WHERE patient_id = $1`,
    [patientId],
  );
}

/** The patient list's filter: a follow-up visit of the patient (alias `patient`) in the state `parameter`. */
export const visitInState = (patient: string, parameter: string): string =>
  `EXISTS (SELECT 1 FROM follow_up_visit v WHERE v.patient_id = ${patient}.id AND v.status = ${parameter})`;

/** The patient list's filter: a death recorded at a follow-up visit of the patient (alias `patient`). */
export const diedAtFollowUp = (patient: string): string =>
  `EXISTS (SELECT 1 FROM follow_up_assessment a
            WHERE a.patient_id = ${patient}.id AND a.voided_at IS NULL AND a.vital_status = 'dead')`;
