import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const APPOINTMENT_MODES = ['clinic', 'telephone', 'video'] as const;
export type AppointmentMode = (typeof APPOINTMENT_MODES)[number];
export type AppointmentStatus = 'booked' | 'cancelled' | 'attended' | 'missed';

/** A booked follow-up appointment: the local date and time as booked, and the instant they resolve to. */
@Entity('appointment', { synchronize: false })
export class Appointment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @Column({ name: 'visit_id', type: 'uuid' })
  visitId: string;

  @Column({ name: 'local_date', type: 'date' })
  localDate: string;

  @Column({ name: 'local_time', type: 'text' })
  localTime: string;

  @Column({ type: 'text' })
  zone: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ type: 'text' })
  mode: AppointmentMode;

  @Column({ type: 'text', nullable: true })
  place: string | null;

  @Column({ type: 'text' })
  status: AppointmentStatus;

  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason: string | null;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
