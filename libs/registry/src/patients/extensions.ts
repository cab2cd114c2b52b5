import { Injectable } from '@nestjs/common';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { EntityRows, queryPrepared } from '../../../database/src/index.js';
import type { Patient } from './entities.js';
import type { PatientRecords, WrittenKind } from './patient-records.js';

/**
 * Reads that the hooks of one settled change share, each made once, by whichever hook asks first (follow-up's
 * live assessments and booked appointments, which its checks, its planner and its reminders all read). Only
 * for what none of those hooks writes; the values are shared, so they are read, never changed.
 */
export class SharedReads {
  private readonly values = new Map<string, Promise<unknown>>();

  /**
   * A registered shared read of `patientId`: as settle seeded it (with the patient's records), or read now
   * by the same subquery.
   */
  read<E extends ObjectLiteral>(em: EntityManager, read: SharedRead<E>, patientId: string): Promise<E[]> {
    return this.once(sharedKey(read, patientId), async () => {
      const [row] = await queryPrepared<{ rows: Record<string, unknown>[] }>(
        em,
        `SELECT (${read.json}) AS rows`,
        [patientId],
      );
      return hydrateShared(em, read, row.rows);
    });
  }

  /** Rows of a shared read made already (settle reads the wanted ones with the patient's records). */
  seed<E extends ObjectLiteral>(read: SharedRead<E>, patientId: string, rows: readonly E[]): void {
    this.values.set(sharedKey(read, patientId), Promise.resolve(rows));
  }

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.values.get(key) as Promise<T> | undefined;
    if (value === undefined) {
      value = read();
      this.values.set(key, value);
    }
    return value;
  }
}

/**
 * A shared read that settle makes in the same statement as the patient's live records (one round trip,
 * not one more per read), seeding the change's SharedReads; hooks ask for it with `SharedReads.read`.
 * `json` is a scalar subquery on the patient id (`$1`) that returns a JSON array of `target`'s rows
 * (hydrated by EntityRows.fromJson); `wanted` says for which changes the hooks will read it.
 */
export interface SharedRead<E extends ObjectLiteral = ObjectLiteral> {
  readonly name: string;
  readonly target: EntityTarget<E>;
  readonly json: string;
  wanted(wrote: WrittenKind | null): boolean;
}

function sharedKey(read: SharedRead<ObjectLiteral>, patientId: string): string {
  return `${read.name}:${patientId}`;
}

/** The entities of a shared read's JSON array. */
export function hydrateShared<E extends ObjectLiteral>(
  em: EntityManager,
  read: SharedRead<E>,
  rows: readonly Record<string, unknown>[],
): E[] {
  const entities = EntityRows.of(em, read.target);
  return rows.map((row) => entities.fromJson(row));
}

/** A change to a patient's record, settled (its rules hold), as the hooks see it. */
export interface SettledChange {
  readonly patientId: string;
  readonly now: Date;
  /** The patient's live records as the change left them, read once for every hook. */
  readonly records: PatientRecords;
  /**
   * The one kind of record the change wrote, and the patient row it locked (which it did not write, so the
   * row is current): a hook whose work reads nothing of that kind may skip it. Null when the change may have
   * written anything (an enrolment, the patient's own fields, consent, the plan).
   */
  readonly wrote: {
    readonly kind: WrittenKind;
    readonly patient: Patient;
    /** The record it wrote, when the change says which (a hook names that record's fields as the body does). */
    readonly id?: string;
  } | null;
  readonly reads: SharedReads;
}

/**
 * Work another module does whenever a patient's record changes (follow-up replans the visits): inside the
 * change's transaction, with the patient row locked and the registry's own rules holding, so what it writes
 * commits or rolls back with the change.
 */
export interface PatientChangeHook {
  afterChange(em: EntityManager, change: SettledChange): Promise<void>;
}

/** A part another module adds to the patient summary (one call shows the whole record). */
export interface PatientSummaryPart {
  readonly key: string;
  /** `patient`: the row the summary has read (a part need not read it again). */
  read(em: EntityManager, patient: Patient): Promise<unknown>;
}

/** A record another module keeps about a patient; `clinical`: clinical data, whose changes are corrections. */
export interface HistoryRecord {
  readonly entityType: string;
  readonly entityId: string;
  readonly clinical: boolean;
}

/** The records another module keeps about a patient, whose audited changes belong in the patient's history. */
export type HistorySource = (em: EntityManager, patientId: string) => Promise<HistoryRecord[]>;

/**
 * A condition another module adds to the patient list's filters, in SQL on its own tables: `visitStatus`
 * (a visit in the state named by `parameter`) and `diedElsewhere` (a death it records; no parameter).
 * `patient` is the patient row's alias; `parameter` a named parameter (`:name`) of the list's query.
 */
export type ListCondition = (patient: string, parameter: string) => string;

/** A death another module records (follow-up, at a visit): its London day, or null. */
export type DeathSource = (em: EntityManager, patientId: string) => Promise<string | null>;

/**
 * Where other modules plug into the patient record without the registry depending on them: follow-up
 * registers here at start-up; the registry calls what is registered.
 */
@Injectable()
export class PatientExtensions {
  private readonly hooks: PatientChangeHook[] = [];
  private readonly parts: PatientSummaryPart[] = [];
  private readonly shared: SharedRead[] = [];
  private readonly deaths: DeathSource[] = [];
  private readonly histories: HistorySource[] = [];
  private readonly conditions = new Map<'visitStatus' | 'diedElsewhere', ListCondition[]>();

  onChange(hook: PatientChangeHook): void {
    this.hooks.push(hook);
  }

  addSummaryPart(part: PatientSummaryPart): void {
    this.parts.push(part);
  }

  addListCondition(key: 'visitStatus' | 'diedElsewhere', condition: ListCondition): void {
    this.conditions.set(key, [...(this.conditions.get(key) ?? []), condition]);
  }

  listConditions(key: 'visitStatus' | 'diedElsewhere'): readonly ListCondition[] {
    return this.conditions.get(key) ?? [];
  }

  addHistorySource(source: HistorySource): void {
    this.histories.push(source);
  }

  /** The other modules' records of the patient, for the history. */
  async historyRecords(em: EntityManager, patientId: string): Promise<HistoryRecord[]> {
    const all: HistoryRecord[] = [];
    for (const source of this.histories) all.push(...(await source(em, patientId)));
    return all;
  }

  addDeathSource(source: DeathSource): void {
    this.deaths.push(source);
  }

  /** The earliest death another module recorded (London day), or null. */
  async recordedDeathOn(em: EntityManager, patientId: string): Promise<string | null> {
    const days: string[] = [];
    for (const source of this.deaths) {
      const day = await source(em, patientId);
      if (day) days.push(day);
    }
    return days.sort()[0] ?? null;
  }

  addSharedRead<E extends ObjectLiteral>(read: SharedRead<E>): void {
    this.shared.push(read);
  }

  /** The shared reads the hooks will make after a change that wrote `wrote` (null: anything). */
  sharedReads(wrote: WrittenKind | null): SharedRead[] {
    return this.shared.filter((read) => read.wanted(wrote));
  }

  async afterChange(
    em: EntityManager,
    patientId: string,
    records: PatientRecords,
    wrote: SettledChange['wrote'] = null,
    reads: SharedReads = new SharedReads(),
  ): Promise<void> {
    const change: SettledChange = { patientId, now: new Date(), records, wrote, reads };
    for (const hook of this.hooks) await hook.afterChange(em, change);
  }

  async summaryParts(em: EntityManager, patient: Patient): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const part of this.parts) result[part.key] = await part.read(em, patient);
    return result;
  }
}
