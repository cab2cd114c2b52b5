import type { EntityManager } from 'typeorm';
import { EntityRows, updateAtVersion } from '../../../database/src/index.js';
import type { SharedRead, SharedReads } from '../../../registry/src/index.js';
import { FollowUpVisit } from '../entities.js';
import { Reminder } from '../reminders/reminder.entity.js';
import { mayReplan } from '../written.js';
import { Appointment } from './appointment.entity.js';

/**
 * The appointments' statements. Booking is a hot path (the scheduling benchmark): its reads and its insert
 * are hand-written (EntityRows), prepared.
 */

/**
 * The patient's booked appointments, read once per settled change (the planner's and the reminders'),
 * with the patient's records for every change the planner replans after (all but a complication).
 */
export const BOOKED_APPOINTMENTS: SharedRead<Appointment> = {
  name: 'followUp.bookedAppointments',
  target: Appointment,
  json: `SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM appointment a
          WHERE a.patient_id = $1 AND a.status = 'booked'`,
  wanted: mayReplan,
};

export function bookedAppointments(
  em: EntityManager,
  patientId: string,
  reads: SharedReads,
): Promise<Appointment[]> {
  return reads.read(em, BOOKED_APPOINTMENTS, patientId);
}

/** One appointment of the patient's, if it is theirs. */
export async function appointmentOf(
  em: EntityManager,
  patientId: string,
  id: string,
): Promise<Appointment | undefined> {
  const [appointment] = await EntityRows.of(em, Appointment).where(em, 'id = $1 AND patient_id = $2', [
    id,
    patientId,
  ]);
  return appointment;
}

/** The reminders of an appointment, in no order (the view sorts them). */
export function remindersOf(em: EntityManager, appointmentId: string): Promise<Reminder[]> {
  return EntityRows.of(em, Reminder).where(em, 'appointment_id = $1', [appointmentId]);
}

/** One follow-up visit of the patient's, if it is theirs. */
export async function visitOf(
  em: EntityManager,
  patientId: string,
  visitId: string,
): Promise<FollowUpVisit | undefined> {
  const [visit] = await EntityRows.of(em, FollowUpVisit).where(em, 'id = $1 AND patient_id = $2', [
    visitId,
    patientId,
  ]);
  return visit;
}

/** Books the appointment in one prepared statement; answers its id. */
export async function insertAppointment(
  em: EntityManager,
  appointment: Partial<Appointment>,
): Promise<string> {
  const [appointmentId] = await EntityRows.of(em, Appointment).insert(em, [appointment]);
  return appointmentId;
}

/** Changes the appointment at `version` (its version + 1); answers how many rows changed (0 when stale). */
export async function updateAppointment(
  em: EntityManager,
  id: string,
  version: number,
  set: Partial<Appointment>,
): Promise<number | undefined> {
  return updateAtVersion(em, Appointment, id, version, set);
}
