import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditContext } from './audit-context.js';

/**
 * Runs a unit of work in one database transaction whose audit context (actor, reason, request id, client
 * address) is visible to the audit trigger. Every write of the registry goes through here: the trigger
 * refuses a change to an audited table when no actor is set.
 */
@Injectable()
export class TransactionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(context: AuditContext, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await applyAuditContext(manager, context);
      return work(manager);
    });
  }
}

export async function applyAuditContext(manager: EntityManager, context: AuditContext): Promise<void> {
  if (!context.actor) throw new Error('An audited transaction needs an actor');
  await manager.query(
    `SELECT set_config('registry.actor', $1, true), set_config('registry.reason', $2, true),
            set_config('registry.request_id', $3, true), set_config('registry.client_address', $4, true)`,
    [context.actor, context.reason ?? '', context.requestId ?? '', context.clientAddress ?? ''],
  );
}
