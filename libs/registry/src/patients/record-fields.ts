import type { ConsentEventFacts } from '../rules/consent.js';
import type { ComplicationDto, ConsentEventDto, EcmoRunDto, OperationDto, OutcomeDto } from './dto.js';
import type { Complication, ConsentEvent, EcmoRun, HospitalOutcome, IndexOperation } from './entities.js';

// Which value set each coded field of a record is checked against (the sets are data: migration ValueSets).
export const OPERATION_CODES = { category: 'operation_category', urgency: 'operation_urgency' };
export const RUN_CODES = {
  mode: 'ecmo_mode',
  startLocation: 'ecmo_start_location',
  startedFor: 'ecmo_started_for',
  cannulation: 'cannulation',
  drainageSite: 'cannula_site',
  returnSite: 'cannula_site',
  lvUnloading: 'lv_unloading',
  endReason: 'ecmo_end_reason',
};
export const COMPLICATION_CODES = {
  code: 'complication',
  relation: 'complication_relation',
  outcome: 'complication_outcome',
};
export const OUTCOME_CODES = { destination: 'discharge_destination', causeOfDeath: 'cause_of_death' };

type Fields<E> = Omit<
  E,
  'id' | 'patientId' | 'missing' | 'version' | 'voidedAt' | 'voidReason' | 'createdAt' | 'updatedAt'
>;

const instant = (value: string | null | undefined): Date | null | undefined =>
  value === undefined ? undefined : value === null ? null : new Date(value);

/** Only the fields present in a (partial) DTO: an absent field is left alone, null clears it. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function operationFields(dto: Partial<OperationDto>): Fields<IndexOperation> {
  return defined({
    operationDate: dto.operationDate,
    category: dto.category,
    categoryDetail: dto.categoryDetail,
    urgency: dto.urgency,
    redo: dto.redo,
    bypassMinutes: dto.bypassMinutes,
    crossClampMinutes: dto.crossClampMinutes,
    euroscoreIi: dto.euroscoreIi,
  }) as Fields<IndexOperation>;
}

export function runFields(dto: Partial<EcmoRunDto>): Fields<EcmoRun> {
  return defined({
    startedAt: instant(dto.startedAt),
    endedAt: instant(dto.endedAt),
    mode: dto.mode,
    startLocation: dto.startLocation,
    startedFor: dto.startedFor,
    cannulation: dto.cannulation,
    drainageSite: dto.drainageSite,
    returnSite: dto.returnSite,
    distalPerfusion: dto.distalPerfusion,
    lvUnloading: dto.lvUnloading,
    preCardiacArrest: dto.preCardiacArrest,
    preLactate: dto.preLactate,
    preVis: dto.preVis,
    prePh: dto.prePh,
    endReason: dto.endReason,
  }) as Fields<EcmoRun>;
}

export function complicationFields(dto: Partial<ComplicationDto>): Fields<Complication> {
  return defined({
    code: dto.code,
    description: dto.description,
    onsetAt: instant(dto.onsetAt),
    ecmoRunId: dto.ecmoRunId,
    grade: dto.grade,
    serious: dto.serious,
    relation: dto.relation,
    outcome: dto.outcome,
  }) as Fields<Complication>;
}

export function outcomeFields(dto: Partial<OutcomeDto>): Fields<HospitalOutcome> {
  return defined({
    kind: dto.kind,
    occurredAt: instant(dto.occurredAt),
    destination: dto.destination,
    causeOfDeath: dto.causeOfDeath,
    causeDetail: dto.causeDetail,
  }) as Fields<HospitalOutcome>;
}

export function consentFields(dto: ConsentEventDto): Fields<ConsentEvent> & ConsentEventFacts {
  return {
    kind: dto.kind,
    occurredAt: new Date(dto.occurredAt),
    independentDoctor: dto.independentDoctor ?? null,
    consulteeType: dto.consulteeType ?? null,
    consulteeAgreed: dto.consulteeAgreed ?? null,
    withdrawalLevel: dto.withdrawalLevel ?? null,
    note: dto.note ?? null,
  };
}

/** The dates a record carries (what withdrawal level (b) and the timeline judge it by). */
export function datesOf(record: Partial<Record<string, unknown>>): Array<Date | string> {
  return ['operationDate', 'startedAt', 'endedAt', 'onsetAt', 'occurredAt', 'assessedOn']
    .map((field) => record[field])
    .filter((v): v is Date | string => v instanceof Date || typeof v === 'string');
}
