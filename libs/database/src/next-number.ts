import type { EntityManager } from 'typeorm';
import { quoteIdent } from './postgres-url.js';

/**
 * The next number of a gapless series kept as its largest value plus one (a site's registry numbers, the
 * follow-up protocol's versions): a PostgreSQL sequence would leave a gap for every rolled-back enrolment.
 * The caller serialises the writers (a lock on the row that owns the series) or lets a unique constraint
 * refuse the loser of a race. `scope`: the column and value that name one series in a shared table.
 */
export async function nextNumber(
  em: EntityManager,
  table: string,
  column: string,
  scope?: { readonly column: string; readonly value: unknown },
): Promise<number> {
  const where = scope ? ` WHERE ${quoteIdent(scope.column)} = $1` : '';
  const [{ next }] = await em.query<Array<{ next: number }>>(
    `SELECT coalesce(max(${quoteIdent(column)}), 0) + 1 AS next FROM ${quoteIdent(table)}${where}`,
    scope ? [scope.value] : [],
  );
  return next;
}
