import type { EntityManager } from 'typeorm';

/** One row of the audit trail, as the trigger (row changes) or AuditService (events) wrote it. */
export interface AuditTrailRow {
  readonly occurred_at: Date;
  readonly actor: string;
  readonly action: string;
  readonly entity_type: string | null;
  readonly entity_id: string | null;
  readonly old_values: Record<string, unknown> | null;
  readonly new_values: Record<string, unknown> | null;
  readonly reason: string | null;
  readonly request_id: string | null;
}

/** The audit trail of these rows (each a table's name and a row id), oldest first. */
export function auditTrailOf(
  em: EntityManager,
  rows: ReadonlyArray<{ readonly entityType: string; readonly entityId: string }>,
): Promise<AuditTrailRow[]> {
  return em.query<AuditTrailRow[]>(
    `SELECT e.occurred_at, e.actor, e.action, e.entity_type, e.entity_id,
            e.old_values, e.new_values, e.reason, e.request_id
       FROM audit_event e
       JOIN unnest($1::text[], $2::text[]) AS r (entity_type, entity_id)
         ON e.entity_type = r.entity_type AND e.entity_id = r.entity_id
      ORDER BY e.id`,
    [rows.map((r) => r.entityType), rows.map((r) => r.entityId)],
  );
}
