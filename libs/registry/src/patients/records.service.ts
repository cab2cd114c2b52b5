import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntityTarget } from 'typeorm';
import type { SiteScope } from '../../../access/src/index.js';
import { type AuditContext, isForeignKeyViolation, isUniqueViolation } from '../../../database/src/index.js';
import { RuleProblem, type FieldError } from '../../../observability/src/index.js';
import { mergeMissing, type ExpectedFields, type RecordKind } from '../rules/completeness.js';
import { consentEventProblem, consentStatus } from '../rules/consent.js';
import { FUTURE_TOLERANCE_MS } from '../rules/timeline.js';
import { reasonsOf, type ConsentEventDto, type MissingReasonChanges } from './dto.js';
import {
  Complication,
  ConsentEvent,
  EcmoRun,
  HospitalOutcome,
  IndexOperation,
  type ClinicalRecord,
  type MissingReasons,
} from './entities.js';
import { PatientChanges } from './patient-changes.js';
import type { PatientRecords, WrittenKind } from './patient-records.js';
import { PatientIdentities } from './patient-identities.js';
import { findPatient, setConsentState } from './patients.queries.js';
import {
  complicationFields,
  COMPLICATION_CODES,
  consentFields,
  datesOf,
  operationFields,
  OPERATION_CODES,
  outcomeFields,
  OUTCOME_CODES,
  runFields,
  RUN_CODES,
} from './record-fields.js';
import {
  correctRecord,
  insertConsentEvent,
  insertRecord,
  liveComplicationsOnRun,
  liveConsentEvents,
  recordOf,
  voidRecord,
} from './records.queries.js';
import { assertUpdated } from './versioning.js';
import { complicationView, consentEventView, operationView, outcomeView, runView } from './views.js';

/** What differs between the kinds of clinical record; the frame around them is shared. */
export interface RecordSpec<E extends ClinicalRecord> {
  /** How a nurse names it in a message. */
  readonly title: string;
  readonly entity: EntityTarget<E>;
  /** What the change frame is told it wrote (see PatientChanges.changeRecord). */
  readonly kind: WrittenKind;
  /** The fields the record should have, which may instead carry a missing reason. */
  readonly expected: RecordKind | ExpectedFields;
  readonly codes: Readonly<Record<string, string>>;
  /** The entity fields present in a (partial) request body. */
  fields(dto: object): Partial<E>;
  view(record: E): { version: number };
  /** The live records of this kind among a patient's settled records (the rules' kinds only). */
  live?(records: PatientRecords): readonly E[];
  /**
   * Cross-field rules on the whole record after the change, each naming a field of the request body;
   * `changed` holds the fields the request sent (the whole record, when it creates one).
   */
  problems(
    record: Partial<E>,
    requiresText: (valueSet: string, code: string) => boolean,
    changed?: Partial<E>,
  ): FieldError[];
  /** A second live record is refused (one index operation, one hospital outcome per patient). */
  readonly single: boolean;
  /**
   * Fields naming another record, which must be one of the same patient's: the database's foreign key on
   * (id, patient_id) `constraint` holds it, and its violation answers 422 (not a 500).
   */
  readonly references?: ReadonlyArray<{
    readonly field: string;
    readonly constraint: string;
    readonly what: string;
  }>;
}

export const OPERATION: RecordSpec<IndexOperation> = {
  title: 'The index operation',
  entity: IndexOperation,
  kind: 'operation',
  expected: 'operation',
  codes: OPERATION_CODES,
  fields: (dto) => operationFields(dto),
  view: operationView,
  live: (records) => (records.operation ? [records.operation] : []),
  problems: (op, requiresText) =>
    op.category && requiresText('operation_category', op.category) && !op.categoryDetail
      ? [{ field: 'categoryDetail', reason: 'is required for this category' }]
      : [],
  single: true,
};

export const ECMO_RUN: RecordSpec<EcmoRun> = {
  title: 'The ECMO run',
  entity: EcmoRun,
  kind: 'ecmoRun',
  expected: 'ecmoRun',
  codes: RUN_CODES,
  fields: (dto) => runFields(dto),
  view: (run) =>
    runView(run, new Date(Math.max(Date.now(), run.startedAt.getTime(), run.endedAt?.getTime() ?? 0))),
  live: (records) => records.runs,
  // A run's own rules, before anything is written; how it sits among the patient's records is the timeline's.
  problems: (run, _requiresText, changed = run) => runProblems(run, changed),
  single: false,
};

export const COMPLICATION: RecordSpec<Complication> = {
  title: 'The complication',
  entity: Complication,
  kind: 'complication',
  expected: 'complication',
  codes: COMPLICATION_CODES,
  fields: (dto) => complicationFields(dto),
  view: complicationView,
  live: (records) => records.complications,
  problems: (c, requiresText) =>
    c.code && requiresText('complication', c.code) && !c.description
      ? [{ field: 'description', reason: 'is required for this code (describe the complication)' }]
      : [],
  single: false,
  references: [{ field: 'ecmoRunId', constraint: 'complication_run_of_patient', what: 'an ECMO run' }],
};

export const OUTCOME: RecordSpec<HospitalOutcome> = {
  title: 'The hospital outcome',
  entity: HospitalOutcome,
  kind: 'outcome',
  expected: 'outcome',
  codes: OUTCOME_CODES,
  fields: (dto) => outcomeFields(dto),
  view: outcomeView,
  live: (records) => (records.outcome ? [records.outcome] : []),
  problems: (o, requiresText) => {
    const problems: FieldError[] = [];
    if (o.kind === 'discharge' && o.causeOfDeath) {
      problems.push({ field: 'causeOfDeath', reason: 'is only recorded for a death' });
    }
    if (o.kind === 'death' && o.destination) {
      problems.push({ field: 'destination', reason: 'is only recorded for a discharge' });
    }
    if (o.causeOfDeath && requiresText('cause_of_death', o.causeOfDeath) && !o.causeDetail) {
      problems.push({ field: 'causeDetail', reason: 'is required for this cause' });
    }
    return problems;
  },
  single: true,
};

/**
 * An ECMO run's own rules (the database holds them too): it ends after it starts, and its end instant and
 * end reason are recorded together. The field named is one the request sent, where it sent one of the pair.
 */
export function runProblems(run: Partial<EcmoRun>, changed: Partial<EcmoRun>): FieldError[] {
  const problems: FieldError[] = [];
  const sent = (field: keyof EcmoRun) => field in changed;
  const ended = run.endedAt != null;
  const reasoned = run.endReason != null;
  if (run.endedAt && run.startedAt && run.endedAt.getTime() <= run.startedAt.getTime()) {
    problems.push(
      sent('endedAt') || !sent('startedAt')
        ? { field: 'endedAt', reason: `must be after the run's start (${run.startedAt.toISOString()})` }
        : { field: 'startedAt', reason: `must be before the run's end (${run.endedAt.toISOString()})` },
    );
  }
  if (ended !== reasoned) {
    if (sent('endReason') && !reasoned) {
      problems.push({
        field: 'endReason',
        reason: 'cannot be removed while the run has an end (endedAt): remove both to record it as not ended',
      });
    } else if (sent('endedAt') && !ended) {
      problems.push({
        field: 'endedAt',
        reason: 'cannot be removed while the run has an end reason: remove both to record it as not ended',
      });
    } else if (!reasoned) {
      problems.push({ field: 'endReason', reason: 'is required when the run has ended (endedAt)' });
    } else {
      problems.push({ field: 'endedAt', reason: 'is required with an end reason (when did the run end?)' });
    }
  }
  return problems;
}

/** Cross-field rules of a consent event (which details each kind carries). */
export function consentEventProblems(dto: ConsentEventDto, now: Date, prefix = ''): FieldError[] {
  const problems: FieldError[] = [];
  const only = (field: keyof ConsentEventDto, kind: string, present: boolean): void => {
    if (dto.kind === kind && !present)
      problems.push({ field: prefix + field, reason: `is required for ${kind}` });
    if (dto.kind !== kind && present)
      problems.push({ field: prefix + field, reason: `is only recorded for ${kind}` });
  };
  if (Date.parse(dto.occurredAt) > now.getTime() + FUTURE_TOLERANCE_MS) {
    problems.push({ field: `${prefix}occurredAt`, reason: 'is in the future' });
  }
  only('independentDoctor', 'emergency_enrolment', dto.independentDoctor !== undefined);
  only('consulteeType', 'consultee_advice', dto.consulteeType !== undefined);
  only('consulteeAgreed', 'consultee_advice', dto.consulteeAgreed !== undefined);
  only('withdrawalLevel', 'withdrawal', dto.withdrawalLevel !== undefined);
  return problems;
}

/**
 * Recording, correcting and voiding a patient's clinical records: each change inside PatientChanges' frame
 * (patient lock, timeline and eligibility checks, audit context with the reason), corrections and voids by
 * conditional UPDATE on the version the nurse read.
 */
@Injectable()
export class ClinicalRecordsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: PatientChanges,
    private readonly identities: PatientIdentities,
  ) {}

  async get<E extends ClinicalRecord>(spec: RecordSpec<E>, scope: SiteScope, patientId: string, id: string) {
    const patient = await findPatient(this.dataSource.manager, scope, patientId);
    if (patient.countingOnlySince) throw countingOnly();
    return spec.view(await this.find(this.dataSource.manager, spec, patientId, id));
  }

  async create<E extends ClinicalRecord>(
    spec: RecordSpec<E>,
    scope: SiteScope,
    patientId: string,
    dto: object & { missing?: MissingReasonChanges },
    context: AuditContext,
  ) {
    const fields = spec.fields(dto);
    const missing = reasonsOf(dto.missing);
    this.check(spec, fields, missing, fields);
    try {
      const { id, settled } = await this.changes.changeRecordAnswering(
        spec.kind,
        scope,
        patientId,
        context,
        async (em, patient) => {
          this.changes.assertCollectable(patient, datesOf(fields));
          return insertRecord(em, spec.entity, { ...fields, patientId, missing, version: 1 });
        },
        (id, records) => ({ id, settled: settledRecord(spec, records, id) }),
        (id) => id,
      );
      return spec.view(settled ?? (await this.find(this.dataSource.manager, spec, patientId, id)));
    } catch (error) {
      if (spec.single && isUniqueViolation(error)) {
        throw new ConflictException(`${spec.title} is already recorded: correct it, or void it first`);
      }
      throw referenceProblem(spec, error) ?? error;
    }
  }

  async correct<E extends ClinicalRecord>(
    spec: RecordSpec<E>,
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    dto: { reason?: string; missing?: MissingReasonChanges },
    context: AuditContext,
  ) {
    const { reason, missing, ...rest } = dto;
    const fields = spec.fields(rest);
    const settled = await this.changes
      .changeRecordAnswering(
        spec.kind,
        scope,
        patientId,
        { ...context, reason },
        async (em, patient) => {
          const current = await this.find(em, spec, patientId, id);
          if (current.voidedAt)
            throw new ConflictException(`${spec.title} was voided: it cannot be corrected`);
          if (!reason && changesRecordedValues(current, fields, missing)) {
            throw new RuleProblem(`${spec.title} holds values already recorded: a correction says why`, [
              {
                field: 'reason',
                reason:
                  'is required to change a value already recorded (none is needed to fill in one not recorded before)',
              },
            ]);
          }
          const nextMissing = mergeMissing(current.missing, fields, missing);
          this.check(spec, { ...current, ...fields }, nextMissing, fields);
          this.changes.assertCollectable(patient, datesOf(fields));
          const affected = await correctRecord(em, spec.entity, id, version, {
            ...fields,
            missing: nextMissing,
          });
          assertUpdated(spec.title, affected);
        },
        (_, records) => settledRecord(spec, records, id),
        () => id,
      )
      .catch((error: unknown) => {
        throw referenceProblem(spec, error) ?? error;
      });
    return spec.view(settled ?? (await this.find(this.dataSource.manager, spec, patientId, id)));
  }

  /** "Entered in error": the record stays, marked void with the reason, and leaves the current state. */
  async void<E extends ClinicalRecord>(
    spec: RecordSpec<E>,
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    reason: string,
    context: AuditContext,
  ) {
    await this.changes.changeRecord(spec.kind, scope, patientId, { ...context, reason }, async (em) => {
      const current = await this.find(em, spec, patientId, id);
      if (current.voidedAt) throw new ConflictException(`${spec.title} is already voided`);
      if (spec.entity === EcmoRun) {
        const on = await liveComplicationsOnRun(em, id);
        if (on > 0) {
          throw new ConflictException(
            `${on} complication(s) are recorded on this ECMO run: void or move them first`,
          );
        }
      }
      assertUpdated(spec.title, await voidRecord(em, spec.entity, id, version, reason));
    });
    return spec.view(await this.find(this.dataSource.manager, spec, patientId, id));
  }

  /**
   * Appends an event to the consent timeline (in time order) and re-derives the consent state. A decline
   * (the patient's or their consultee's) destroys the identity in the same transaction: from then on the
   * patient is only counted.
   */
  async addConsentEvent(scope: SiteScope, patientId: string, dto: ConsentEventDto, context: AuditContext) {
    const problems = consentEventProblems(dto, new Date());
    if (problems.length > 0) throw new RuleProblem('The consent event breaks the registry’s rules', problems);
    const facts = consentFields(dto);
    const id = await this.changes.change(scope, patientId, context, async (em) => {
      const events = await liveConsentEvents(em, patientId);
      const last = events.at(-1);
      if (last && facts.occurredAt.getTime() < last.occurredAt.getTime()) {
        throw new RuleProblem('Consent events are recorded in the order they happened', [
          {
            field: 'occurredAt',
            reason: `is before the latest consent event (${last.kind}, ${last.occurredAt.toISOString()})`,
          },
        ]);
      }
      const problem = consentEventProblem(consentStatus(events), facts);
      if (problem) throw new ConflictException(problem);
      const id = await insertConsentEvent(em, { ...facts, patientId, missing: {}, version: 1 });
      await this.applyConsent(em, context, patientId, [...events, facts]);
      return id;
    });
    return consentEventView(await this.find(this.dataSource.manager, CONSENT, patientId, id));
  }

  /** Voids a consent event recorded in error; a decline cannot be voided (the identity is already gone). */
  async voidConsentEvent(
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    reason: string,
    context: AuditContext,
  ) {
    await this.changes.change(scope, patientId, { ...context, reason }, async (em) => {
      const event = await this.find(em, CONSENT, patientId, id);
      if (event.voidedAt) throw new ConflictException('The consent event is already voided');
      assertUpdated('The consent event', await voidRecord(em, ConsentEvent, id, version, reason));
      const events = await liveConsentEvents(em, patientId);
      if (events.length === 0) {
        throw new ConflictException(
          'The consent timeline cannot be left empty: record the right event first',
        );
      }
      await this.applyConsent(em, context, patientId, events);
    });
    return consentEventView(await this.find(this.dataSource.manager, CONSENT, patientId, id));
  }

  private async applyConsent(
    em: EntityManager,
    context: AuditContext,
    patientId: string,
    events: Parameters<typeof consentStatus>[0],
  ): Promise<void> {
    const status = consentStatus(events);
    await setConsentState(em, patientId, status);
    if (status.countingOnlySince) await this.identities.destroy(em, context, patientId);
  }

  private check<E extends ClinicalRecord>(
    spec: RecordSpec<E>,
    record: Partial<E>,
    missing: MissingReasons,
    changed: Partial<E>,
  ): void {
    // Codes and missing reasons are checked as they stand after the change.
    this.changes.assertCodes(spec.expected, '', record, spec.codes, missing);
    const problems = spec.problems(record, (set, code) => this.changes.requiresText(set, code), changed);
    if (problems.length > 0) throw new RuleProblem(`${spec.title} breaks the registry’s rules`, problems);
  }

  private async find<E extends ClinicalRecord>(
    em: EntityManager,
    spec: { entity: EntityTarget<E>; title: string },
    patientId: string,
    id: string,
  ): Promise<E> {
    const record = await recordOf(em, spec.entity, patientId, id);
    if (!record) throw new NotFoundException(`${spec.title} was not found`);
    return record;
  }
}

const CONSENT = { entity: ConsentEvent, title: 'The consent event' };

/**
 * Whether a change alters what was recorded (a correction, which says why), rather than filling in values
 * not recorded before (new data: an ECMO run's end, a lactate measured later). A missing reason replaced or
 * removed is a correction too.
 */
export function changesRecordedValues(
  current: object,
  fields: object,
  missing: MissingReasonChanges | undefined,
): boolean {
  const before = current as Record<string, unknown>;
  const recorded = (value: unknown) => value !== null && value !== undefined;
  const number = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? Number(v) : Number.NaN);
  const same = (a: unknown, b: unknown) =>
    a instanceof Date && b instanceof Date
      ? a.getTime() === b.getTime()
      : String(a) === String(b) || (Number.isFinite(number(a)) && number(a) === number(b));
  const altered = Object.entries(fields).some(
    ([key, value]) => recorded(before[key]) && !same(before[key], value),
  );
  const reasons = (before.missing ?? {}) as Record<string, unknown>;
  return (
    altered || Object.keys(missing ?? {}).some((key) => key in reasons && reasons[key] !== missing?.[key])
  );
}

/** The 422 for a write that named another patient's record (or none), from the database's refusal. */
function referenceProblem<E extends ClinicalRecord>(spec: RecordSpec<E>, error: unknown): RuleProblem | null {
  const reference = spec.references?.find((r) => isForeignKeyViolation(error, r.constraint));
  if (!reference) return null;
  return new RuleProblem(`${spec.title} names a record it cannot`, [
    { field: reference.field, reason: `is not ${reference.what} of this patient` },
  ]);
}

/**
 * The record a change created or corrected, as the change settled it (before the commit, so with what the
 * commit writes); undefined for a kind the rules do not read, which is read again after the commit.
 */
function settledRecord<E extends ClinicalRecord>(
  spec: RecordSpec<E>,
  records: PatientRecords,
  id: string,
): E | undefined {
  return spec.live?.(records).find((r) => r.id === id);
}

/** 409 for reading or adding to the record of a patient kept only as a count (a decline). */
export function countingOnly(): ConflictException {
  return new ConflictException('The patient declined: the record is kept only as a count');
}
