/** How many database transactions a request has committed so far. */
export interface RequestWrites {
  committed: number;
}

const WRITES = Symbol('registry.requestWrites');

/**
 * The request's count of committed transactions, kept on the request itself. The request's audit context
 * carries it (`auditContextOf`), and `TransactionService.run` counts each commit made with that context;
 * the error filter reads it back from the request, so that an error after a commit (PostgreSQL gone while
 * the answer was being built) is never reported as "nothing was changed".
 *
 * No async context (AsyncLocalStorage) is needed: every write of a request goes through a transaction run
 * with the request's audit context. The AsyncLocalStorage this replaced cost about 5% of a patient summary's
 * CPU (issue 7's benchmark): with it, Node propagated a store to every promise of every request.
 */
export function requestWrites(request: object): RequestWrites {
  const holder = request as Record<symbol, RequestWrites | undefined>;
  let writes = holder[WRITES];
  if (!writes) {
    writes = { committed: 0 };
    holder[WRITES] = writes;
  }
  return writes;
}

/** Whether the request committed a transaction before it failed. */
export function committedDuring(request: object): boolean {
  return ((request as Record<symbol, RequestWrites | undefined>)[WRITES]?.committed ?? 0) > 0;
}
