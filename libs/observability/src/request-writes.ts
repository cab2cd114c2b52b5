import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';

interface RequestWrites {
  committed: number;
}

const storage = new AsyncLocalStorage<RequestWrites>();
const WRITES = Symbol('registry.requestWrites');

/**
 * Records which requests have committed a transaction, so that an error after the commit (PostgreSQL gone
 * while the saved record is read back for the answer) is never reported as "nothing was changed". The
 * handler runs inside an async context the transaction service writes to; the error filter reads it back
 * from the request.
 */
@Injectable()
export class RequestWritesInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const writes: RequestWrites = { committed: 0 };
    const request = context.switchToHttp().getRequest<Record<symbol, unknown> | undefined>();
    if (request) request[WRITES] = writes;
    return new Observable((subscriber) => storage.run(writes, () => next.handle().subscribe(subscriber)));
  }
}

/** Called once a transaction has committed: the request that ran it has changed something. */
export function noteCommit(): void {
  const writes = storage.getStore();
  if (writes) writes.committed += 1;
}

/** Whether the request committed a transaction before it failed. */
export function committedDuring(request: object): boolean {
  return ((request as Record<symbol, RequestWrites | undefined>)[WRITES]?.committed ?? 0) > 0;
}
