import type { RecordKind } from '../rules/completeness.js';
import type { Complication, EcmoRun, HospitalOutcome, IndexOperation } from './entities.js';

/** The non-voided clinical records of one patient, as the rules read them. */
export interface PatientRecords {
  readonly operation: IndexOperation | null;
  readonly runs: EcmoRun[];
  readonly complications: Complication[];
  readonly outcome: HospitalOutcome | null;
}

/**
 * A kind of record another module keeps in the patient's record, named `<module>.<record>` by that module
 * where it lives (follow-up's appointments and assessments). The registry knows one thing of it: it alters
 * none of the facts the registry derives (eligibility, age, the timeline).
 */
export type ExtensionRecordKind = `${string}.${string}`;

/** What a change wrote, when it wrote one kind of record only: one of the registry's, or another module's. */
export type WrittenKind = RecordKind | ExtensionRecordKind;
