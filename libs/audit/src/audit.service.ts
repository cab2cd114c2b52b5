import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditContext } from '../../database/src/index.js';

/** An event that is not a row change: a login, a read of identifiers, an export downloaded. */
export interface AuditEntry {
  readonly action: string;
  readonly entityType?: string;
  readonly entityId?: string;
  /** What the event concerned, without identifiers or secrets (ids and ciphertext only). */
  readonly details?: Record<string, unknown>;
}

/**
 * Writes audit events inside the caller's transaction, so the event and the change it records commit or
 * roll back together.
 */
@Injectable()
export class AuditService {
  async record(manager: EntityManager, context: AuditContext, entry: AuditEntry): Promise<void> {
    await manager.query(
      `INSERT INTO audit_event (actor, action, entity_type, entity_id, new_values, reason, request_id, client_address)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        context.actor,
        entry.action,
        entry.entityType ?? null,
        entry.entityId ?? null,
        entry.details === undefined ? null : JSON.stringify(entry.details),
        context.reason ?? null,
        context.requestId ?? null,
        context.clientAddress ?? null,
      ],
    );
  }
}
