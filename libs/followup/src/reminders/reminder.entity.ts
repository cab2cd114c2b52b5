import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ReminderChannel } from '../rules/reminders.js';

export const REMINDER_STATUSES = [
  'pending',
  'sending',
  'sent',
  'failed',
  'unknown',
  'cancelled',
  'expired',
] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

/**
 * A reminder to a patient of a booked appointment: derived from the database state by the reminder planner,
 * in the same transaction as the change that called for it. `version` rises with every change; the job that
 * sends it carries the version it was queued for and does nothing if the row moved on.
 */
@Entity('reminder', { synchronize: false })
export class Reminder {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @Column({ name: 'appointment_id', type: 'uuid' })
  appointmentId: string;

  @Column({ name: 'days_before', type: 'integer' })
  daysBefore: number;

  /** The appointment's local date this reminder was planned for: one reminder per date and days-before. */
  @Column({ name: 'appointment_date', type: 'date' })
  appointmentDate: string;

  @Column({ type: 'text' })
  channel: ReminderChannel;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'text' })
  status: ReminderStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export type DeliveryOutcome = 'sent' | 'failed' | 'unknown';

/**
 * The delivery ledger: one row per reminder, claimed before the provider is called (so no reminder is ever
 * handed to a provider twice by this registry), completed with the provider's reference and outcome after.
 */
@Entity('reminder_delivery', { synchronize: false })
export class ReminderDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'reminder_id', type: 'uuid' })
  reminderId: string;

  @Column({ name: 'reminder_version', type: 'integer' })
  reminderVersion: number;

  @Column({ type: 'text' })
  channel: ReminderChannel;

  @Column({ type: 'text' })
  provider: string;

  @Column({ name: 'claimed_at', type: 'timestamptz', update: false })
  claimedAt: Date;

  @Column({ name: 'provider_ref', type: 'text', nullable: true })
  providerRef: string | null;

  @Column({ type: 'text', nullable: true })
  outcome: DeliveryOutcome | null;

  @Column({ name: 'outcome_at', type: 'timestamptz', nullable: true })
  outcomeAt: Date | null;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  /**
   * An e-mail whose delivery was unknown, sent once more with the same Message-ID while its appointment was
   * ahead (at most once: set before the send).
   */
  @Column({ name: 'resent_at', type: 'timestamptz', nullable: true })
  resentAt: Date | null;

  @Column({ name: 'resend_outcome', type: 'text', nullable: true })
  resendOutcome: DeliveryOutcome | null;

  @Column({ name: 'resend_detail', type: 'text', nullable: true })
  resendDetail: string | null;
}
