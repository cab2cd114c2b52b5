import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { displayNames, type SiteScope } from '../../../access/src/index.js';
import { auditTrailOf, type AuditTrailRow } from '../../../audit/src/index.js';
import { PatientExtensions } from './extensions.js';
import { findPatient, recordIdsOf } from './patients.queries.js';

/** How the audit trail names a signed-in user as the actor: `user:<uuid>`. */
const USER_ACTOR = 'user:';

/** Bookkeeping columns that change with every write and say nothing a reader needs. */
const NOISE = new Set(['updated_at', 'version']);

export interface FieldChange {
  readonly field: string;
  /** The values before and after; for the identity table, never shown (ciphertext): `changed: true` only. */
  readonly from?: unknown;
  readonly to?: unknown;
  readonly encrypted?: true;
}

export interface HistoryEntry {
  readonly at: string;
  readonly actor: string;
  readonly actorName: string | null;
  /** `insert`, `update`, `delete` for row changes; an event name (`identifier.read`, …) otherwise. */
  readonly action: string;
  /**
   * What a row change was, as a reader says it: `recorded` (new data: a new record, or values filled in
   * that were not recorded before, such as an ECMO run's end), `corrected` (a recorded clinical value
   * changed), `voided`, `changed` (the state of a visit, an appointment or a key: not clinical data);
   * null for an event.
   */
  readonly change: 'recorded' | 'corrected' | 'voided' | 'changed' | 'deleted' | null;
  readonly record: string | null;
  readonly recordId: string | null;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly changes: readonly FieldChange[];
  /** What an event (not a row change) concerned: key ids, fields read, sites of a transfer. */
  readonly details: unknown;
}

type AuditRow = AuditTrailRow;

const camel = (column: string): string => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The fields a row change touched, old and new value each (all fields of an insert). */
export function fieldChanges(
  row: Pick<AuditRow, 'entity_type' | 'old_values' | 'new_values'>,
): FieldChange[] {
  if (!row.old_values && !row.new_values) return [];
  const before = row.old_values ?? {};
  const after = row.new_values ?? {};
  const encrypted = row.entity_type === 'patient_identity';
  const columns = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (c) => !NOISE.has(c) && c !== 'id' && c !== 'created_at',
  );
  return columns
    .filter((c) => JSON.stringify(before[c] ?? null) !== JSON.stringify(after[c] ?? null))
    .map((c) =>
      encrypted && c !== 'reminder_channel'
        ? { field: camel(c), encrypted: true as const }
        : { field: camel(c), from: before[c] ?? null, to: after[c] ?? null },
    );
}

/** What a row change was (see HistoryEntry.change). */
export function changeKind(
  action: string,
  changes: readonly FieldChange[],
  clinical: boolean,
): HistoryEntry['change'] {
  if (action === 'insert') return 'recorded';
  if (action === 'delete') return 'deleted';
  if (changes.some((c) => c.field === 'voidedAt' && c.to !== null && c.to !== undefined)) return 'voided';
  const blank = (value: unknown) =>
    value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0);
  // Missing reasons added alongside count as filling in; a value (or reason) replaced is a correction.
  const filledIn = changes.every((c) =>
    c.field === 'missing'
      ? Object.keys(c.from ?? {}).every(
          (k) =>
            JSON.stringify((c.from as Record<string, unknown>)[k]) ===
            JSON.stringify((c.to as Record<string, unknown> | null)?.[k]),
        )
      : !c.encrypted && blank(c.from),
  );
  return filledIn ? 'recorded' : clinical ? 'corrected' : 'changed';
}

/**
 * The history of a patient's record, read from the audit trail (issue 4): every change to the patient, their
 * identity, each clinical record (voided ones included) and the records other modules keep (follow-up's
 * visits, assessments and appointments) with who, when, why, and from which value to
 * which; and the events about them (identifier reads, key creation and destruction, transfers). Identity
 * values are never shown: their audit rows hold ciphertext, and a destroyed key leaves them unreadable.
 */
@Injectable()
export class PatientHistory {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly extensions: PatientExtensions,
  ) {}

  async of(scope: SiteScope, patientId: string): Promise<HistoryEntry[]> {
    const patient = await findPatient(this.dataSource.manager, scope, patientId);
    const records = await recordIdsOf(this.dataSource.manager, patient.id);
    const em = this.dataSource.manager;
    const others = await this.extensions.historyRecords(em, patient.id);
    const clinical = new Set([
      'patient',
      'patient_identity',
      ...records.map((r) => r.entity_type),
      ...others.filter((r) => r.clinical).map((r) => r.entityType),
    ]);
    const rows = await auditTrailOf(em, [
      { entityType: 'patient', entityId: patient.id },
      { entityType: 'patient_identity', entityId: patient.id },
      { entityType: 'patient_key', entityId: patient.id },
      ...records.map((r) => ({ entityType: r.entity_type, entityId: r.id })),
      // Follow-up's records (visits, assessments, appointments): every change to the patient's records.
      ...others,
    ]);
    const users = [...new Set(rows.map((r) => r.actor).filter((a) => a.startsWith(USER_ACTOR)))];
    const names = await displayNames(
      em,
      users.map((actor) => actor.slice(USER_ACTOR.length)),
    );
    return rows.map((row) => {
      const rowChange = ['insert', 'update', 'delete'].includes(row.action);
      const changes = rowChange ? fieldChanges(row) : [];
      return {
        at: new Date(row.occurred_at).toISOString(),
        actor: row.actor,
        actorName: row.actor.startsWith(USER_ACTOR)
          ? (names.get(row.actor.slice(USER_ACTOR.length)) ?? null)
          : null,
        action: row.action,
        change: rowChange ? changeKind(row.action, changes, clinical.has(row.entity_type ?? '')) : null,
        record: row.entity_type,
        recordId: row.entity_id,
        reason: row.reason,
        requestId: row.request_id,
        changes,
        details: rowChange ? null : row.new_values,
      };
    });
  }
}
