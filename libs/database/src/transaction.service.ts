import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { isDependencyDown, isQueryTimeout } from './postgres-errors.js';
import type { AuditContext } from './audit-context.js';
import { queryPrepared } from './prepared.js';

/**
 * Runs a unit of work in one database transaction whose audit context (actor, reason, request id, client
 * address) is visible to the audit trigger. Every write of the registry goes through here: the trigger
 * refuses a change to an audited table when no actor is set.
 */
@Injectable()
export class TransactionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * As `DataSource.transaction`, with one difference: when the connection is lost while PostgreSQL is
   * committing, the change may or may not have been made, and the caller is told so (CommitOutcomeUnknown)
   * rather than that nothing was changed.
   */
  async run<T>(context: AuditContext, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      let result: T;
      try {
        const audit = auditContextStatement(context);
        await queryPrepared(runner.manager, audit.text, audit.values);
        result = await work(runner.manager);
      } catch (error) {
        await this.abandon(runner, error);
        throw error;
      }
      try {
        await runner.commitTransaction();
      } catch (error) {
        await this.abandon(runner, error);
        throw isDependencyDown(error) ? new CommitOutcomeUnknown(error) : error;
      }
      if (context.writes) context.writes.committed += 1;
      return result;
    } finally {
      await runner.release();
    }
  }

  /**
   * Rolls back after a failure. After a query timeout (a stalled network) the statement may still be running
   * and ROLLBACK would wait behind it: the connection is dropped from the pool instead, and PostgreSQL rolls
   * the transaction back when it sees the connection gone. It never reaches another request half-done.
   */
  private async abandon(runner: QueryRunner, error: unknown): Promise<void> {
    if (isQueryTimeout(error)) {
      await (runner as QueryRunner & { releasePostgresConnection(err?: unknown): Promise<void> })
        .releasePostgresConnection(error)
        .catch(() => undefined);
      return;
    }
    await runner.rollbackTransaction().catch(() => undefined);
  }
}

/**
 * The connection to PostgreSQL was lost while it was committing: the transaction may have been made durable
 * before the connection went, or not. Never reported as "nothing was changed".
 */
export class CommitOutcomeUnknown extends Error {
  override readonly name = 'CommitOutcomeUnknown';

  constructor(cause: unknown) {
    super('the connection to PostgreSQL was lost while committing', { cause });
  }
}

/** Sets who is changing what (and why) for the audit trigger, in the current transaction only. */
export async function applyAuditContext(
  manager: Pick<EntityManager, 'query'> | { query(sql: string, params: unknown[]): Promise<unknown> },
  context: AuditContext,
): Promise<void> {
  const statement = auditContextStatement(context);
  await manager.query(statement.text, statement.values);
}

/** The statement that sets the audit context (TransactionService runs it prepared: every transaction). */
function auditContextStatement(context: AuditContext): { text: string; values: string[] } {
  if (!context.actor) throw new Error('An audited transaction needs an actor');
  return {
    text: `SELECT set_config('registry.actor', $1, true), set_config('registry.reason', $2, true),
            set_config('registry.request_id', $3, true), set_config('registry.client_address', $4, true)`,
    values: [context.actor, context.reason ?? '', context.requestId ?? '', context.clientAddress ?? ''],
  };
}
