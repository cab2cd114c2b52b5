import { ConflictException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SiteScope } from '../../../access/src/index.js';
import { type AuditContext, TransactionService } from '../../../database/src/index.js';
import { RuleProblem, type FieldError } from '../../../observability/src/index.js';
import { missingReasonProblems, type ExpectedFields, type RecordKind } from '../rules/completeness.js';
import {
  ageInYears,
  eligibilityFailures,
  impossibleBirthDate,
  type EligibilityFacts,
} from '../rules/eligibility.js';
import { datedAfterWithdrawal, timelineProblems, type TimelineProblem } from '../rules/timeline.js';
import { ValueSets } from '../value-sets/value-sets.js';
import type { EcmoRun, IndexOperation, MissingReasons, Patient } from './entities.js';
import { PatientExtensions, SharedReads } from './extensions.js';
import { PatientIdentities } from './patient-identities.js';
import type { PatientRecords, WrittenKind } from './patient-records.js';
import { currentPatient, loadRecords, lockPatient, setDerivedEligibility } from './patients.queries.js';

/** Maps an eligibility fact to the request field a nurse corrects. */
const ELIGIBILITY_FIELDS: Record<keyof EligibilityFacts, string> = {
  dateOfBirth: 'identity.dateOfBirth',
  ecmoStart: 'ecmoRun.startedAt',
  ecmoMode: 'ecmoRun.mode',
  startLocation: 'ecmoRun.startLocation',
  startedFor: 'ecmoRun.startedFor',
  operationDate: 'operation.operationDate',
  mdtDecisionAt: 'mdtDecision.decidedAt',
};

export function eligibilityFieldOf(fact: keyof EligibilityFacts): string {
  return ELIGIBILITY_FIELDS[fact];
}

/** The index run: the first non-voided run by start (eligibility and age are derived from it). */
export function indexRun(runs: readonly EcmoRun[]): EcmoRun | null {
  return [...runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())[0] ?? null;
}

/** The records eligibility and age are derived from (with the date of birth and the MDT decision). */
const ELIGIBILITY_RECORDS: ReadonlySet<WrittenKind> = new Set(['operation', 'ecmoRun']);

/**
 * The frame of every change to a patient's clinical record: one transaction that locks the patient row (so
 * changes to one patient are serialised and the rules see a settled record), refuses a patient kept only as
 * a count, runs the change, then checks the whole timeline and re-derives eligibility before committing. A
 * rule the result breaks rolls everything back.
 */
@Injectable()
export class PatientChanges {
  constructor(
    private readonly transactions: TransactionService,
    private readonly identities: PatientIdentities,
    private readonly valueSets: ValueSets,
    private readonly extensions: PatientExtensions,
  ) {}

  /**
   * A change that writes records of one `kind` and nothing else (not the patient row): settling it skips
   * what that kind cannot alter (see `settle`).
   */
  changeRecord<T>(
    kind: WrittenKind,
    scope: SiteScope,
    patientId: string,
    context: AuditContext,
    work: (em: EntityManager, patient: Patient) => Promise<T>,
  ): Promise<T> {
    return this.frame(scope, patientId, context, work, kind).then(({ result }) => result);
  }

  /**
   * As `changeRecord`, answering from the records as settled (`answer` runs inside the transaction, before
   * it commits): what the change wrote is read once, by the timeline check, not again after the commit.
   * `writtenId`: the id of the one record the change wrote; for a complication, the only one of the
   * patient's complications the timeline check then reads (see `settle`).
   */
  changeRecordAnswering<T, R>(
    kind: WrittenKind,
    scope: SiteScope,
    patientId: string,
    context: AuditContext,
    work: (em: EntityManager, patient: Patient) => Promise<T>,
    answer: (result: T, records: PatientRecords) => R,
    writtenId?: (result: T) => string,
  ): Promise<R> {
    return this.frame(scope, patientId, context, work, kind, writtenId).then(({ result, records }) =>
      answer(result, records),
    );
  }

  /** `wrote`: see `changeRecord`; absent, everything is re-checked and re-derived. */
  change<T>(
    scope: SiteScope,
    patientId: string,
    context: AuditContext,
    work: (em: EntityManager, patient: Patient) => Promise<T>,
    wrote?: WrittenKind,
  ): Promise<T> {
    return this.frame(scope, patientId, context, work, wrote).then(({ result }) => result);
  }

  private frame<T>(
    scope: SiteScope,
    patientId: string,
    context: AuditContext,
    work: (em: EntityManager, patient: Patient) => Promise<T>,
    wrote: WrittenKind | undefined,
    writtenId?: (result: T) => string,
  ): Promise<{ result: T; records: PatientRecords }> {
    return this.transactions.run(context, async (em) => {
      const patient = await lockPatient(em, scope, patientId);
      if (patient.countingOnlySince) {
        throw new ConflictException(
          'The patient (or their consultee) declined: the record is kept only as a count and takes no new data',
        );
      }
      const result = await work(em, patient);
      const records = await this.settle(em, patient, wrote, writtenId?.(result));
      return { result, records };
    });
  }

  /** Withdrawal level (b): 409 for clinical data dated after the withdrawal. */
  assertCollectable(patient: Patient, dated: ReadonlyArray<Date | string | null | undefined>): void {
    const withdrawnAt = patient.dataCollectionWithdrawnAt;
    if (!withdrawnAt) return;
    if (dated.some((d) => d !== null && d !== undefined && datedAfterWithdrawal(d, withdrawnAt))) {
      throw new ConflictException(
        `The patient withdrew from data collection on ${withdrawnAt.toISOString()} (level b): no clinical data dated after the withdrawal may be recorded`,
      );
    }
  }

  /** 422 for codes that are not in their value set, and for missing reasons that do not fit the record. */
  assertCodes(
    kind: RecordKind | ExpectedFields | null,
    prefix: string,
    values: object,
    codes: Readonly<Record<string, string>>,
    missing: MissingReasons | undefined,
  ): void {
    const problems: FieldError[] = [];
    for (const [field, valueSet] of Object.entries(codes)) {
      const value = (values as Record<string, unknown>)[field];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string' || !this.valueSets.find(valueSet, value)) {
        problems.push({ field: `${prefix}${field}`, reason: `is not a code of the value set ${valueSet}` });
      }
    }
    if (kind && missing) {
      for (const [field, reason] of Object.entries(missing)) {
        if (!this.valueSets.find('missing_reason', reason)) {
          problems.push({
            field: `${prefix}missing.${field}`,
            reason: 'is not a code of the value set missing_reason',
          });
        }
      }
      for (const p of missingReasonProblems(kind, values as Record<string, unknown>, missing)) {
        problems.push({ field: `${prefix}${p.field}`, reason: p.reason });
      }
    }
    if (problems.length > 0) throw new RuleProblem('The record breaks the registry’s coding rules', problems);
  }

  /** Whether the code needs a free-text description (the taxonomy's `other`). */
  requiresText(valueSet: string, code: string): boolean {
    return this.valueSets.find(valueSet, code)?.requiresText ?? false;
  }

  /**
   * After a change: the timeline must hold (422 otherwise, rolled back), and eligibility is re-derived from
   * the recorded facts; a correction that breaks a rule flags the patient rather than refusing the truth.
   * `wrote`: the kind of the one record the change wrote (see `changeRecord`), if that is all it wrote.
   * `writtenId`: that record's id. When it is a complication, the other complications are not read: each
   * complication's place in the timeline depends only on the operation, the runs and the outcome, which the
   * change did not touch, so only the written one can break it (the records returned then hold that one
   * complication only). A patient gathers complications over a long run; re-reading them all on every new
   * one made each write slower than the last (issue 7's write benchmark).
   */
  async settle(
    em: EntityManager,
    patient: Patient,
    wrote?: WrittenKind,
    writtenId?: string,
  ): Promise<PatientRecords> {
    const reads = new SharedReads();
    const wanted = this.extensions.sharedReads(wrote ?? null);
    const complication = wrote === 'complication' ? writtenId : undefined;
    const records = await loadRecords(em, patient.id, { wanted, reads, complication });
    const problems = timelineProblems(
      {
        operationDate: records.operation?.operationDate ?? null,
        runs: records.runs,
        complications: records.complications,
        outcome: records.outcome,
      },
      new Date(),
    );
    if (problems.length > 0) {
      throw new RuleProblem(
        'The change breaks the order of the patient’s timeline',
        problems.map((p) => ({ field: bodyField(p, wrote, writtenId), reason: p.reason })),
      );
    }
    // Follow-up replans the visits from the settled record (a decline included: its visits are dropped).
    await this.extensions.afterChange(
      em,
      patient.id,
      records,
      wrote ? { kind: wrote, patient, id: writtenId } : null,
      reads,
    );
    // A complication, a hospital outcome or another module's record changes no eligibility fact: the
    // derived columns still hold.
    if (wrote && !ELIGIBILITY_RECORDS.has(wrote)) return records;
    // A change of one kind of record leaves the patient row as it was locked (changeRecord's contract).
    const current = wrote ? patient : await currentPatient(em, patient.id);
    // A decline in this change destroyed the identity: the patient is counted, no longer assessed.
    if (current.countingOnlySince) return records;
    const run = indexRun(records.runs);
    if (!run || !records.operation) {
      throw new RuleProblem('A patient keeps an index operation and at least one ECMO run', [
        {
          field: run ? 'operation' : 'ecmoRun',
          reason: 'the last one may not be voided: correct it instead',
        },
      ]);
    }
    const dateOfBirth = await this.identities.dateOfBirth(em, patient.id);
    const birth = impossibleBirthDate(dateOfBirth, run.startedAt);
    if (birth) {
      // The request changed either the date of birth (the identity) or the index run's start.
      const field = wrote === 'ecmoRun' ? 'startedAt' : 'dateOfBirth';
      const reason =
        wrote === 'ecmoRun' ? `puts the date of birth on record out of reach: it ${birth}` : birth;
      throw new RuleProblem('The change gives the patient an impossible age', [{ field, reason }]);
    }
    const facts = eligibilityFactsOf(dateOfBirth, current, records.operation, run);
    const failures = eligibilityFailures(facts);
    const age = ageInYears(dateOfBirth, run.startedAt);
    if (
      JSON.stringify(failures) !== JSON.stringify(current.eligibilityFailures) ||
      age !== current.ageAtEcmoStart
    ) {
      // Derived columns: no version bump, the nurse's ETag stays valid for what she changed.
      await setDerivedEligibility(em, patient.id, failures, age);
    }
    return records;
  }
}

/**
 * The field a timeline problem names, as the request's body names it: a field of the record the request
 * wrote loses its record prefix (`onsetAt` on the complication route); a field of another record keeps it
 * (`outcome.occurredAt`, when a run's new end falls after the discharge).
 */
function bodyField(
  problem: TimelineProblem,
  wrote: WrittenKind | undefined,
  writtenId: string | undefined,
): string {
  const prefix = `${wrote}.`;
  const ofWritten = problem.recordId === undefined || problem.recordId === writtenId;
  return wrote && ofWritten && problem.field.startsWith(prefix)
    ? problem.field.slice(prefix.length)
    : problem.field;
}

export function eligibilityFactsOf(
  dateOfBirth: string,
  patient: Pick<Patient, 'mdtDecisionAt'>,
  operation: Pick<IndexOperation, 'operationDate'>,
  run: Pick<EcmoRun, 'startedAt' | 'mode' | 'startLocation' | 'startedFor'>,
): EligibilityFacts {
  return {
    dateOfBirth,
    ecmoStart: run.startedAt,
    ecmoMode: run.mode as EligibilityFacts['ecmoMode'],
    startLocation: run.startLocation as EligibilityFacts['startLocation'],
    startedFor: run.startedFor as EligibilityFacts['startedFor'],
    operationDate: operation.operationDate,
    mdtDecisionAt: patient.mdtDecisionAt,
  };
}
