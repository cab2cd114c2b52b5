import { In, type EntityManager } from 'typeorm';
import { EntityRows } from '../../../database/src/index.js';
import { Appointment } from '../appointments/appointment.entity.js';
import { Reminder, ReminderDelivery } from './reminder.entity.js';

/**
 * The reminders' statements: the planner's (pending reminders added, moved, cancelled with each replan), the
 * sender's (the reminder locked, its delivery claimed and settled in the ledger) and the reconciler's.
 */

// The planner, inside every replan.

/**
 * The patient's pending reminders, and (`withHandedOver`: when an appointment is booked) those handed to a
 * provider already (sending, sent, unknown), which are never planned again; one statement, hand-written: read
 * on every replan.
 */
export async function remindersToPlanFrom(
  em: EntityManager,
  patientId: string,
  withHandedOver: boolean,
): Promise<{ pending: Reminder[]; handedOver: Reminder[] }> {
  const rows = await EntityRows.of(em, Reminder).where(
    em,
    withHandedOver
      ? `patient_id = $1 AND status IN ('pending', 'sending', 'sent', 'unknown')`
      : `patient_id = $1 AND status = 'pending'`,
    [patientId],
  );
  return {
    pending: rows.filter((r) => r.status === 'pending'),
    handedOver: rows.filter((r) => r.status !== 'pending'),
  };
}

/** Adds the reminders in one prepared statement; answers their ids in order. */
export function insertReminders(em: EntityManager, rows: readonly Partial<Reminder>[]): Promise<string[]> {
  return EntityRows.of(em, Reminder).insert(em, rows);
}

/** Moves a pending reminder to its new moment (or channel) at its next version. */
export async function moveReminder(
  em: EntityManager,
  id: string,
  move: Pick<Reminder, 'dueAt' | 'channel' | 'appointmentDate' | 'version'>,
): Promise<void> {
  await em.update(Reminder, { id }, move);
}

/** Cancels the reminders `ids` for one reason, each at its next version. */
export async function cancelReminders(em: EntityManager, ids: string[], reason: string): Promise<void> {
  await em
    .createQueryBuilder()
    .update(Reminder)
    .set({ status: 'cancelled', statusReason: reason, version: () => 'version + 1' })
    .where({ id: In(ids) })
    .execute();
}

// The sender.

/** The reminder as it stands, unlocked: the first look before any lock is taken. */
export function reminderHead(em: EntityManager, reminderId: string): Promise<Reminder | null> {
  return em.findOneBy(Reminder, { id: reminderId });
}

/** The reminder locked FOR UPDATE (after the patient row, share-locked by the caller). */
export function lockReminder(em: EntityManager, reminderId: string): Promise<Reminder | null> {
  return em.findOne(Reminder, { where: { id: reminderId }, lock: { mode: 'pessimistic_write' } });
}

/** The reminder of a claimed delivery. */
export function claimedReminder(em: EntityManager, reminderId: string): Promise<Reminder> {
  return em.findOneByOrFail(Reminder, { id: reminderId });
}

/** The appointment a reminder is for. */
export function remindedAppointment(em: EntityManager, appointmentId: string): Promise<Appointment> {
  return em.findOneByOrFail(Appointment, { id: appointmentId });
}

type VisitState = { status: string; status_reason: string | null };

/** The state of the appointment's visit, which may have stopped being required since the claim. */
export async function visitStateOf(em: EntityManager, visitId: string): Promise<VisitState | undefined> {
  const [visit] = await em.query<VisitState[]>(
    `SELECT status, status_reason FROM follow_up_visit WHERE id = $1`,
    [visitId],
  );
  return visit;
}

/** Claims the delivery in the ledger (one row per reminder); answers the delivery's id. */
export async function claimDelivery(
  em: EntityManager,
  delivery: Pick<ReminderDelivery, 'reminderId' | 'reminderVersion' | 'channel' | 'provider' | 'claimedAt'>,
): Promise<string> {
  const { identifiers } = await em.insert(ReminderDelivery, delivery);
  return identifiers[0].id as string;
}

export function findDelivery(em: EntityManager, deliveryId: string): Promise<ReminderDelivery | null> {
  return em.findOneBy(ReminderDelivery, { id: deliveryId });
}

/** Takes an interrupted claim over, so that only one reconciler resends it. */
export async function reclaimDelivery(em: EntityManager, deliveryId: string, now: Date): Promise<void> {
  await em.query(`UPDATE reminder_delivery SET claimed_at = $2 WHERE id = $1`, [deliveryId, now]);
}

/** Records the provider's answer in the ledger. */
export async function recordDeliveryOutcome(
  em: EntityManager,
  deliveryId: string,
  outcome: Pick<ReminderDelivery, 'providerRef' | 'outcome' | 'outcomeAt' | 'detail'>,
): Promise<void> {
  await em.update(ReminderDelivery, { id: deliveryId }, outcome);
}

/** Records the resend of an unknown delivery: when it starts (before the send), then what came of it. */
export async function recordResend(
  em: EntityManager,
  deliveryId: string,
  resend: Partial<Pick<ReminderDelivery, 'resentAt' | 'resendOutcome' | 'resendDetail'>>,
): Promise<void> {
  await em.update(ReminderDelivery, { id: deliveryId }, resend);
}

/** Moves the reminder to `status` at its next version (a no-op if it moved on since it was read). */
export async function closeReminder(
  em: EntityManager,
  reminder: Reminder,
  status: Reminder['status'],
  reason: string | null,
): Promise<void> {
  await em.update(
    Reminder,
    { id: reminder.id, version: reminder.version },
    { status, statusReason: reason, version: reminder.version + 1 },
  );
}

// The reconciler, outside any transaction.

type DueReminder = { id: string; version: number; due_at: Date };
type InterruptedDelivery = { id: string; reminder_id: string; channel: 'sms' | 'email'; provider: string };

/** The pending reminders due by `horizon`, soonest first. */
export function pendingRemindersDue(em: EntityManager, horizon: Date): Promise<DueReminder[]> {
  return em.query<DueReminder[]>(
    `SELECT id, version, due_at FROM reminder WHERE status = 'pending' AND due_at <= $1 ORDER BY due_at`,
    [horizon],
  );
}

/** Deliveries claimed before `claimedBefore` and never settled (a crash between claim and outcome). */
export function interruptedDeliveries(
  em: EntityManager,
  claimedBefore: Date,
): Promise<InterruptedDelivery[]> {
  return em.query<InterruptedDelivery[]>(
    `SELECT d.id, d.reminder_id, d.channel, d.provider
         FROM reminder_delivery d JOIN reminder r ON r.id = d.reminder_id
        WHERE r.status = 'sending' AND d.outcome IS NULL AND d.claimed_at < $1
        ORDER BY d.claimed_at`,
    [claimedBefore],
  );
}
