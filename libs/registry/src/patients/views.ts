import { ageBand, type EligibilityFailure } from '../rules/eligibility.js';
import { incompleteFields } from '../rules/completeness.js';
import {
  daysSinceDecannulation,
  ecmoDurationHours,
  successfulWeaning,
  successfulWeaningAtDischarge,
  survivedEcmo,
  survivedToDischarge,
  type EndReason,
} from '../rules/derived.js';
import { deathInstant } from '../rules/timeline.js';
import { londonDay } from '../../../time/src/index.js';
import type {
  ClinicalRecord,
  Complication,
  ConsentEvent,
  EcmoRun,
  HospitalOutcome,
  IndexOperation,
  Patient,
} from './entities.js';
import type { PatientRecords } from './patient-records.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

// The answers' shapes, named: the views below must return them (the compiler checks), and the api's OpenAPI
// document describes its answers with them (apps/api/src/response-types.ts).

/** The parts every record view shares. */
export interface RecordBase {
  /** @format uuid */
  readonly id: string;
  /** The record's version: its ETag, sent back in If-Match to correct or void it. */
  readonly version: number;
  /** Why an expected field has no value, by field (value set missing_reason). */
  readonly missing: Record<string, string>;
  /** Set when the record was voided (entered in error): when, and why. */
  readonly voided: { readonly at: string; readonly reason: string | null } | null;
}

export interface OperationView extends RecordBase {
  /** @format date */
  readonly operationDate: string;
  readonly category: string;
  readonly categoryDetail: string | null;
  readonly urgency: string | null;
  readonly redo: boolean | null;
  readonly bypassMinutes: number | null;
  readonly crossClampMinutes: number | null;
  readonly euroscoreIi: number | null;
}

export interface RunView extends RecordBase {
  /** @format date-time */
  readonly startedAt: string;
  /** @format date-time */
  readonly endedAt: string | null;
  readonly mode: string;
  readonly startLocation: string;
  readonly startedFor: string;
  readonly cannulation: string | null;
  readonly drainageSite: string | null;
  readonly returnSite: string | null;
  readonly distalPerfusion: boolean | null;
  readonly lvUnloading: string | null;
  readonly preCardiacArrest: boolean | null;
  readonly preLactate: number | null;
  readonly preVis: number | null;
  readonly prePh: number | null;
  readonly endReason: string | null;
  /** Hours on ECMO (to now while the run goes on); null for a voided run. */
  readonly durationHours: number | null;
}

export interface ComplicationView extends RecordBase {
  readonly code: string;
  readonly description: string | null;
  /** @format date-time */
  readonly onsetAt: string;
  /** @format uuid */
  readonly ecmoRunId: string | null;
  readonly grade: number | null;
  readonly serious: boolean | null;
  readonly relation: string | null;
  readonly outcome: string | null;
}

export interface OutcomeView extends RecordBase {
  readonly kind: 'discharge' | 'death';
  /** @format date-time */
  readonly occurredAt: string;
  readonly aliveAtDischarge: boolean;
  readonly destination: string | null;
  readonly causeOfDeath: string | null;
  readonly causeDetail: string | null;
}

export interface ConsentEventView extends RecordBase {
  readonly kind: string;
  /** @format date-time */
  readonly occurredAt: string;
  readonly independentDoctor: string | null;
  readonly consulteeType: 'personal' | 'nominated' | null;
  readonly consulteeAgreed: boolean | null;
  readonly withdrawalLevel: 'a' | 'b' | 'c' | null;
  readonly note: string | null;
}

/** Facts derived from the recorded instants (never typed in). */
export interface DerivedFacts {
  readonly ecmoDurationHours: number;
  readonly onEcmo: boolean;
  readonly survivedEcmo: boolean | null;
  readonly survivedToDischarge: boolean | null;
  readonly successfulWeaning24h: boolean | null;
  readonly successfulWeaning48h: boolean | null;
  readonly successfulWeaningAtDischarge: boolean | null;
  readonly daysSinceDecannulation: number | null;
  /** The instant of death where one is recorded (hospital, ECMO), else the day of one recorded at a visit. */
  readonly deathAt: string | null;
  /** @format date */
  readonly deathOn: string | null;
  readonly deathRecordedIn: 'hospital' | 'follow_up_visit' | null;
}

/** The patient summary: every record's current state, consent, eligibility, derived facts, completeness. */
export interface PatientSummary {
  /** @format uuid */
  readonly id: string;
  readonly registryId: string;
  /** The patient row's version: the ETag of PATCH /patients/:id and of the follow-up plan. */
  readonly version: number;
  readonly site: { readonly id: string; readonly code: string; readonly name: string };
  readonly enrolmentSite: { readonly id: string; readonly code: string };
  readonly synthetic: boolean;
  readonly sex: string;
  readonly ageAtEcmoStart: number;
  readonly mdtDecision: { readonly decidedAt: string; readonly decidedBy: string | null } | null;
  readonly missing: Record<string, string>;
  readonly eligibility: { readonly eligible: boolean; readonly failures: readonly EligibilityFailure[] };
  readonly consent: {
    readonly state: string | null;
    readonly contactWithdrawnAt: string | null;
    readonly dataCollectionWithdrawnAt: string | null;
    readonly exportWithdrawnAt: string | null;
    readonly events: readonly ConsentEventView[];
  };
  readonly operation: OperationView | null;
  readonly ecmoRuns: readonly RunView[];
  readonly complications: readonly ComplicationView[];
  readonly outcome: OutcomeView | null;
  readonly voidedOperations: readonly OperationView[];
  readonly voidedOutcomes: readonly OutcomeView[];
  readonly derived: DerivedFacts;
  readonly completeness: readonly CompletenessItem[];
}

/** What remains readable of a patient who declined: the minimal counting set. */
export interface CountingSetView {
  /** @format uuid */
  readonly id: string;
  readonly registryId: string;
  readonly countingOnly: true;
  readonly countingOnlySince: string | null;
  readonly site: string;
  readonly ecmoStartMonth: string | null;
  readonly ageBand: string;
  readonly sex: string;
  readonly aliveAtDischarge: boolean | null;
}

/** The parts every record view shares: id, version (its ETag), missing reasons, and its void if voided. */
export function recordBase(record: ClinicalRecord): RecordBase {
  return {
    id: record.id,
    version: record.version,
    missing: record.missing,
    voided: record.voidedAt ? { at: record.voidedAt.toISOString(), reason: record.voidReason } : null,
  };
}

export function operationView(op: IndexOperation): OperationView {
  return {
    ...recordBase(op),
    operationDate: op.operationDate,
    category: op.category,
    categoryDetail: op.categoryDetail,
    urgency: op.urgency,
    redo: op.redo,
    bypassMinutes: op.bypassMinutes,
    crossClampMinutes: op.crossClampMinutes,
    euroscoreIi: op.euroscoreIi,
  };
}

export function runView(run: EcmoRun, now: Date): RunView {
  return {
    ...recordBase(run),
    startedAt: run.startedAt.toISOString(),
    endedAt: iso(run.endedAt),
    mode: run.mode,
    startLocation: run.startLocation,
    startedFor: run.startedFor,
    cannulation: run.cannulation,
    drainageSite: run.drainageSite,
    returnSite: run.returnSite,
    distalPerfusion: run.distalPerfusion,
    lvUnloading: run.lvUnloading,
    preCardiacArrest: run.preCardiacArrest,
    preLactate: run.preLactate,
    preVis: run.preVis,
    prePh: run.prePh,
    endReason: run.endReason,
    durationHours: run.voidedAt ? null : ecmoDurationHours(run.startedAt, run.endedAt, now),
  };
}

export function complicationView(c: Complication): ComplicationView {
  return {
    ...recordBase(c),
    code: c.code,
    description: c.description,
    onsetAt: c.onsetAt.toISOString(),
    ecmoRunId: c.ecmoRunId,
    grade: c.grade,
    serious: c.serious,
    relation: c.relation,
    outcome: c.outcome,
  };
}

export function outcomeView(o: HospitalOutcome): OutcomeView {
  return {
    ...recordBase(o),
    kind: o.kind,
    occurredAt: o.occurredAt.toISOString(),
    aliveAtDischarge: o.kind === 'discharge',
    destination: o.destination,
    causeOfDeath: o.causeOfDeath,
    causeDetail: o.causeDetail,
  };
}

export function consentEventView(e: ConsentEvent): ConsentEventView {
  return {
    ...recordBase(e),
    kind: e.kind,
    occurredAt: e.occurredAt.toISOString(),
    independentDoctor: e.independentDoctor,
    consulteeType: e.consulteeType,
    consulteeAgreed: e.consulteeAgreed,
    withdrawalLevel: e.withdrawalLevel,
    note: e.note,
  };
}

export interface PatientListItem {
  readonly id: string;
  readonly registryId: string;
  readonly siteId: string;
  readonly sex: string;
  readonly ageAtEcmoStart: number;
  readonly consentState: string | null;
  readonly countingOnly: boolean;
  readonly eligibilityFailures: readonly EligibilityFailure[];
  readonly synthetic: boolean;
}

export function listItem(p: Patient): PatientListItem {
  return {
    id: p.id,
    registryId: p.registryId,
    siteId: p.siteId,
    sex: p.sex,
    ageAtEcmoStart: p.ageAtEcmoStart,
    consentState: p.consentState,
    countingOnly: p.countingOnlySince !== null,
    eligibilityFailures: p.eligibilityFailures,
    synthetic: p.synthetic,
  };
}

/** The month (`YYYY-MM`, UTC) of an instant: the counting set's resolution of the ECMO start. */
function month(instant: Date): string {
  return instant.toISOString().slice(0, 7);
}

/**
 * What remains readable of a patient who declined (domain guide §3 item 3): the minimal counting set, so
 * that every treated patient is counted and survival is unbiased, and nothing else.
 */
export function countingSetView(p: Patient, siteCode: string, records: PatientRecords): CountingSetView {
  const first = records.runs[0] ?? null;
  return {
    id: p.id,
    registryId: p.registryId,
    countingOnly: true as const,
    countingOnlySince: p.countingOnlySince?.toISOString() ?? null,
    site: siteCode,
    ecmoStartMonth: first ? month(first.startedAt) : null,
    ageBand: ageBand(p.ageAtEcmoStart),
    sex: p.sex,
    aliveAtDischarge: records.outcome ? records.outcome.kind === 'discharge' : null,
  };
}

export interface CompletenessItem {
  /** `operation`, `ecmoRun`, `complication`, `outcome` or `patient`. */
  readonly record: string;
  readonly recordId: string | null;
  readonly field: string;
}

/** Expected values still missing without a reason, record by record (the nurse's to-do list). */
export function completeness(p: Patient, records: PatientRecords): CompletenessItem[] {
  const items: CompletenessItem[] = [];
  const add = (record: string, recordId: string | null, fields: string[]): void => {
    for (const field of fields) items.push({ record, recordId, field });
  };
  add('patient', p.id, incompleteFields('patient', { mdtDecision: p.mdtDecisionAt }, p.missing));
  if (records.operation) {
    add(
      'operation',
      records.operation.id,
      incompleteFields('operation', { ...records.operation }, records.operation.missing),
    );
  }
  for (const run of records.runs)
    add('ecmoRun', run.id, incompleteFields('ecmoRun', { ...run }, run.missing));
  for (const c of records.complications) {
    add('complication', c.id, incompleteFields('complication', { ...c }, c.missing));
  }
  const allEnded = records.runs.every((run) => run.endedAt !== null);
  if (records.outcome) {
    add(
      'outcome',
      records.outcome.id,
      incompleteFields('outcome', { ...records.outcome }, records.outcome.missing),
    );
  } else if (allEnded) {
    // The hospital outcome is due once the patient is off ECMO: it is the registry's headline.
    items.push({ record: 'outcome', recordId: null, field: 'outcome' });
  }
  return items;
}

/**
 * The derived facts of domain guide §3 items 5 and 7, from the raw instants (never typed in), judged on the
 * last run: total ECMO hours, survived ECMO, survived to discharge, successful weaning by the 24 h and 48 h
 * definitions and at discharge, whole days since decannulation.
 */
export function derivedFacts(
  records: PatientRecords,
  now: Date,
  followUpDeathOn: string | null = null,
): DerivedFacts {
  const last = records.runs.at(-1) ?? null;
  const endReason = (last?.endReason ?? null) as EndReason | null;
  const death = deathInstant({ runs: records.runs, outcome: records.outcome });
  const aliveAtDischarge = survivedToDischarge(records.outcome);
  const weaning = (hours: 24 | 48) =>
    last ? successfulWeaning({ end: last.endedAt, endReason }, death, hours, now) : null;
  return {
    ecmoDurationHours:
      Math.round(
        records.runs.reduce((sum, run) => sum + ecmoDurationHours(run.startedAt, run.endedAt, now), 0) * 10,
      ) / 10,
    onEcmo: last !== null && last.endedAt === null,
    survivedEcmo: last ? survivedEcmo({ endReason }) : null,
    survivedToDischarge: aliveAtDischarge,
    successfulWeaning24h: weaning(24),
    successfulWeaning48h: weaning(48),
    successfulWeaningAtDischarge: successfulWeaningAtDischarge(endReason, aliveAtDischarge),
    daysSinceDecannulation: last ? daysSinceDecannulation(last.endedAt, now) : null,
    ...deathFacts(death, followUpDeathOn),
  };
}

/**
 * The patient's death as the record knows it, from whichever record says so first: the hospital outcome or
 * a run ended by death (an instant), or a follow-up visit (a day only). `deathAt` is the instant when one is
 * recorded, else the day (YYYY-MM-DD) of a death recorded at a visit: never a time made up for it.
 */
function deathFacts(death: Date | null, followUpDeathOn: string | null) {
  const hospitalDay = death ? londonDay(death) : null;
  if (followUpDeathOn !== null && (hospitalDay === null || followUpDeathOn < hospitalDay)) {
    return {
      deathAt: followUpDeathOn,
      deathOn: followUpDeathOn,
      deathRecordedIn: 'follow_up_visit' as const,
    };
  }
  if (death === null) return { deathAt: null, deathOn: null, deathRecordedIn: null };
  return { deathAt: iso(death), deathOn: hospitalDay, deathRecordedIn: 'hospital' as const };
}
