import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { mergeMap, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../../audit/src/index.js';
import { type AuditContext, TransactionService } from '../../database/src/index.js';
import { auditContextOf, type AuthenticatedRequest } from './auth/request-context.js';

/** What a route reveals: which direct identifiers, of which records. */
export interface IdentifierReadSpec {
  /** The table or resource holding the identifiers, e.g. `patient_identity`. */
  readonly entityType: string;
  /** The identifier fields the answer contains, e.g. `['nhsNumber', 'name', 'phone']`. */
  readonly fields: readonly string[];
  /** The ids of the records in the answer (one for a record, each for a list). */
  readonly ids: (result: unknown) => readonly string[];
}

const IDENTIFIER_READ = 'ecmo:identifier-read';

/**
 * Domain guide §2: every read of direct identifiers (NHS number, name, contact details) is logged, whoever
 * reads. Writes one `identifier.read` audit event per record for everything the answer carries.
 */
@Injectable()
export class IdentifierReadLog {
  constructor(private readonly audit: AuditService) {}

  async record(
    manager: EntityManager,
    context: AuditContext,
    entityType: string,
    ids: readonly string[],
    fields: readonly string[],
    purpose: string,
  ): Promise<void> {
    for (const id of ids) {
      await this.audit.record(manager, context, {
        action: 'identifier.read',
        entityType,
        entityId: id,
        details: { fields: [...fields], purpose },
      });
    }
  }
}

/**
 * Logs, before the answer leaves, the identifier read it makes; if the log cannot be written the caller gets
 * an error, not the identifiers (a read that is not on record does not happen).
 */
@Injectable()
export class IdentifierReadInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly transactions: TransactionService,
    private readonly log: IdentifierReadLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<IdentifierReadSpec | undefined>(IDENTIFIER_READ, context.getHandler());
    if (!spec)
      throw new Error(`${context.getHandler().name}: IdentifierReadInterceptor without @LogsIdentifierRead`);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        const ids = spec.ids(result);
        if (ids.length > 0) {
          const audit = auditContextOf(request);
          await this.transactions.run(audit, (em) =>
            this.log.record(
              em,
              audit,
              spec.entityType,
              ids,
              spec.fields,
              `${request.method} ${request.routeOptions.url}`,
            ),
          );
        }
        return result;
      }),
    );
  }
}

/** Declares that a route answers with direct identifiers, and logs each read in the audit trail. */
export const LogsIdentifierRead = (spec: IdentifierReadSpec): MethodDecorator =>
  applyDecorators(SetMetadata(IDENTIFIER_READ, spec), UseInterceptors(IdentifierReadInterceptor));
