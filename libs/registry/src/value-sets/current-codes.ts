import type { EntityManager } from 'typeorm';

/**
 * The current version of every value set with its codes in order, as the caller's transaction sees them (an
 * export's data dictionary, read in the export's snapshot).
 */
export function currentValueSetCodes(
  em: EntityManager,
): Promise<Array<{ value_set: string; version: number; codes: string[] }>> {
  return em.query<Array<{ value_set: string; version: number; codes: string[] }>>(
    `SELECT v.value_set, v.version, array_agg(c.code ORDER BY c.sort_order, c.code) AS codes
       FROM value_set_version v JOIN value_set_code c USING (value_set, version)
      WHERE v.version = (SELECT max(w.version) FROM value_set_version w WHERE w.value_set = v.value_set)
      GROUP BY v.value_set, v.version ORDER BY v.value_set`,
  );
}
