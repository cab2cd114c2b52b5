import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Appointment } from './appointments/appointment.entity.js';
import { FollowUpAssessment } from './assessments/assessment.entity.js';
import { Reminder, ReminderDelivery } from './reminders/reminder.entity.js';
import type { NotRequiredReason, ProtocolVisit, VisitAnchor, VisitStatus } from './rules/visits.js';

/** A published follow-up protocol version (append-only: a change is a new version). */
@Entity('follow_up_protocol', { synchronize: false })
export class FollowUpProtocol {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'jsonb' })
  visits: ProtocolVisit[];

  @Column({ type: 'text', nullable: true })
  notes: string | null;

  @Column({ name: 'published_by', type: 'text' })
  publishedBy: string;

  @Column({ name: 'published_at', type: 'timestamptz', insert: false, update: false })
  publishedAt: Date;
}

/** One planned follow-up visit of a patient, with its window and state (domain guide §4). */
@Entity('follow_up_visit', { synchronize: false })
export class FollowUpVisit {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @Column({ name: 'protocol_version', type: 'integer' })
  protocolVersion: number;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  label: string;

  @Column({ type: 'integer' })
  sequence: number;

  @Column({ type: 'text' })
  anchor: VisitAnchor;

  @Column({ name: 'due_on', type: 'date', nullable: true })
  dueOn: string | null;

  @Column({ name: 'opens_on', type: 'date', nullable: true })
  opensOn: string | null;

  @Column({ name: 'closes_on', type: 'date', nullable: true })
  closesOn: string | null;

  @Column({ type: 'text' })
  status: VisitStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: NotRequiredReason | null;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export { Appointment, FollowUpAssessment };
export const FOLLOW_UP_ENTITIES = [
  FollowUpProtocol,
  FollowUpVisit,
  FollowUpAssessment,
  Appointment,
  Reminder,
  ReminderDelivery,
];
