import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One entry of the append-only audit trail. Rows come from the audit_row_change() trigger (clinical writes)
 * or from AuditService (events that change no row: logins, identifier reads, exports). The application role
 * may only INSERT and SELECT here; UPDATE, DELETE and TRUNCATE are refused by privileges and by triggers.
 */
// The table, its indices, checks and triggers are defined in SQL (migration Foundation); TypeORM only maps it.
@Entity('audit_event', { synchronize: false })
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', insert: false })
  occurredAt: Date;

  @Column({ name: 'transaction_id', type: 'text', insert: false })
  transactionId: string;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'entity_type', type: 'text', nullable: true })
  entityType: string | null;

  @Column({ name: 'entity_id', type: 'text', nullable: true })
  entityId: string | null;

  @Column({ name: 'old_values', type: 'jsonb', nullable: true })
  oldValues: Record<string, unknown> | null;

  @Column({ name: 'new_values', type: 'jsonb', nullable: true })
  newValues: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ name: 'client_address', type: 'inet', nullable: true })
  clientAddress: string | null;
}
