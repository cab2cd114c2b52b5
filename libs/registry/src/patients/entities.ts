import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ValueTransformer } from 'typeorm';
import type { ConsentEventKind, ConsentState, WithdrawalLevel } from '../rules/consent.js';
import type { EligibilityFailure } from '../rules/eligibility.js';

// Tables, checks, triggers and grants are defined in SQL (migration RegistryCore); TypeORM only maps them.

/** pg returns numeric as a string (exact decimal); the registry's numerics fit a JS number exactly enough. */
const numeric: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** Why a value is missing, per field: `{ lactate: 'not_done' }` (value set `missing_reason`). */
export type MissingReasons = Record<string, string>;

/** Columns every correctable clinical record shares (see the migration). */
export abstract class ClinicalRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @Column({ type: 'jsonb' })
  missing: MissingReasons;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'voided_at', type: 'timestamptz', nullable: true })
  voidedAt: Date | null;

  @Column({ name: 'void_reason', type: 'text', nullable: true })
  voidReason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A patient enrolled in the registry, referred to everywhere by `registryId` (site code + sequence). */
@Entity('patient', { synchronize: false })
export class Patient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The site responsible now (a transfer changes it); scope is applied on it. */
  @Column({ name: 'site_id', type: 'uuid' })
  siteId: string;

  /** The site that enrolled the patient, whose code the registry ID carries for good. */
  @Column({ name: 'enrolment_site_id', type: 'uuid' })
  enrolmentSiteId: string;

  @Column({ name: 'registry_number', type: 'integer' })
  registryNumber: number;

  @Column({ name: 'registry_id', type: 'text' })
  registryId: string;

  @Column({ type: 'text' })
  sex: string;

  /** Derived from the date of birth and the index run's start; kept for the minimal counting set. */
  @Column({ name: 'age_at_ecmo_start', type: 'integer' })
  ageAtEcmoStart: number;

  @Column({ name: 'mdt_decision_at', type: 'timestamptz', nullable: true })
  mdtDecisionAt: Date | null;

  @Column({ name: 'mdt_decision_by', type: 'text', nullable: true })
  mdtDecisionBy: string | null;

  /** The eligibility rules the recorded facts break now (a correction after enrolment flags, not refuses). */
  @Column({ name: 'eligibility_failures', type: 'jsonb' })
  eligibilityFailures: EligibilityFailure[];

  @Column({ name: 'consent_state', type: 'text', nullable: true })
  consentState: ConsentState | null;

  @Column({ name: 'counting_only_since', type: 'timestamptz', nullable: true })
  countingOnlySince: Date | null;

  @Column({ name: 'contact_withdrawn_at', type: 'timestamptz', nullable: true })
  contactWithdrawnAt: Date | null;

  @Column({ name: 'data_collection_withdrawn_at', type: 'timestamptz', nullable: true })
  dataCollectionWithdrawnAt: Date | null;

  @Column({ name: 'export_withdrawn_at', type: 'timestamptz', nullable: true })
  exportWithdrawnAt: Date | null;

  @Column({ type: 'boolean' })
  synthetic: boolean;

  /** The follow-up protocol version the patient is on (the latest at enrolment; moved only explicitly). */
  @Column({ name: 'protocol_version', type: 'integer', nullable: true })
  protocolVersion: number | null;

  /** Whether the optional yearly visits are planned. */
  @Column({ name: 'extended_follow_up', type: 'boolean' })
  extendedFollowUp: boolean;

  /** The day a nurse declared the patient lost to follow-up (London date), or null. */
  @Column({ name: 'lost_to_follow_up_on', type: 'date', nullable: true })
  lostToFollowUpOn: string | null;

  @Column({ type: 'jsonb' })
  missing: MissingReasons;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** The wrapped data key and the keyed hashes of one patient: never audited as rows, deleted to shred. */
@Entity('patient_key', { synchronize: false })
export class PatientKey {
  @PrimaryColumn({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId: string;

  @Column({ name: 'wrapped_key', type: 'text' })
  wrappedKey: string;

  @Column({ name: 'nhs_number_hash', type: 'bytea' })
  nhsNumberHash: Buffer;

  @Column({ name: 'name_dob_hash', type: 'bytea' })
  nameDobHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;
}

/** The patient's identifiers, each sealed under their data key (ciphertext only, here and in the trail). */
@Entity('patient_identity', { synchronize: false })
export class PatientIdentity {
  /** The patient's id. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'nhs_number', type: 'text' })
  nhsNumber: string;

  @Column({ name: 'family_name', type: 'text' })
  familyName: string;

  @Column({ name: 'given_name', type: 'text' })
  givenName: string;

  @Column({ name: 'date_of_birth', type: 'text' })
  dateOfBirth: string;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ name: 'reminder_channel', type: 'text' })
  reminderChannel: 'sms' | 'email' | 'none';

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('consent_event', { synchronize: false })
export class ConsentEvent extends ClinicalRecord {
  @Column({ type: 'text' })
  kind: ConsentEventKind;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ name: 'independent_doctor', type: 'text', nullable: true })
  independentDoctor: string | null;

  @Column({ name: 'consultee_type', type: 'text', nullable: true })
  consulteeType: 'personal' | 'nominated' | null;

  @Column({ name: 'consultee_agreed', type: 'boolean', nullable: true })
  consulteeAgreed: boolean | null;

  @Column({ name: 'withdrawal_level', type: 'text', nullable: true })
  withdrawalLevel: WithdrawalLevel | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;
}

@Entity('index_operation', { synchronize: false })
export class IndexOperation extends ClinicalRecord {
  /** A date: its time is not recorded. */
  @Column({ name: 'operation_date', type: 'date' })
  operationDate: string;

  @Column({ type: 'text' })
  category: string;

  @Column({ name: 'category_detail', type: 'text', nullable: true })
  categoryDetail: string | null;

  @Column({ type: 'text', nullable: true })
  urgency: string | null;

  @Column({ type: 'boolean', nullable: true })
  redo: boolean | null;

  @Column({ name: 'bypass_minutes', type: 'integer', nullable: true })
  bypassMinutes: number | null;

  @Column({ name: 'cross_clamp_minutes', type: 'integer', nullable: true })
  crossClampMinutes: number | null;

  @Column({ name: 'euroscore_ii', type: 'numeric', nullable: true, transformer: numeric })
  euroscoreIi: number | null;
}

@Entity('ecmo_run', { synchronize: false })
export class EcmoRun extends ClinicalRecord {
  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ type: 'text' })
  mode: string;

  @Column({ name: 'start_location', type: 'text' })
  startLocation: string;

  @Column({ name: 'started_for', type: 'text' })
  startedFor: string;

  @Column({ type: 'text', nullable: true })
  cannulation: string | null;

  @Column({ name: 'drainage_site', type: 'text', nullable: true })
  drainageSite: string | null;

  @Column({ name: 'return_site', type: 'text', nullable: true })
  returnSite: string | null;

  @Column({ name: 'distal_perfusion', type: 'boolean', nullable: true })
  distalPerfusion: boolean | null;

  @Column({ name: 'lv_unloading', type: 'text', nullable: true })
  lvUnloading: string | null;

  @Column({ name: 'pre_cardiac_arrest', type: 'boolean', nullable: true })
  preCardiacArrest: boolean | null;

  @Column({ name: 'pre_lactate', type: 'numeric', nullable: true, transformer: numeric })
  preLactate: number | null;

  @Column({ name: 'pre_vis', type: 'numeric', nullable: true, transformer: numeric })
  preVis: number | null;

  @Column({ name: 'pre_ph', type: 'numeric', nullable: true, transformer: numeric })
  prePh: number | null;

  @Column({ name: 'end_reason', type: 'text', nullable: true })
  endReason: string | null;
}

@Entity('complication', { synchronize: false })
export class Complication extends ClinicalRecord {
  @Column({ name: 'ecmo_run_id', type: 'uuid', nullable: true })
  ecmoRunId: string | null;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'onset_at', type: 'timestamptz' })
  onsetAt: Date;

  @Column({ type: 'integer', nullable: true })
  grade: number | null;

  @Column({ type: 'boolean', nullable: true })
  serious: boolean | null;

  @Column({ type: 'text', nullable: true })
  relation: string | null;

  @Column({ type: 'text', nullable: true })
  outcome: string | null;
}

@Entity('hospital_outcome', { synchronize: false })
export class HospitalOutcome extends ClinicalRecord {
  @Column({ type: 'text' })
  kind: 'discharge' | 'death';

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'text', nullable: true })
  destination: string | null;

  @Column({ name: 'cause_of_death', type: 'text', nullable: true })
  causeOfDeath: string | null;

  @Column({ name: 'cause_detail', type: 'text', nullable: true })
  causeDetail: string | null;
}

export const REGISTRY_ENTITIES = [
  Patient,
  PatientKey,
  PatientIdentity,
  ConsentEvent,
  IndexOperation,
  EcmoRun,
  Complication,
  HospitalOutcome,
];
