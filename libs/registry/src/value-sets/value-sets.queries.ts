import type { EntityManager } from 'typeorm';
import { ValueSetCode, ValueSetVersion } from './value-set.entities.js';

/**
 * The registry's reads of the value sets: made once at start (ValueSets keeps the current versions), and
 * in an export's own snapshot (currentValueSetCodes).
 */

/** Every version of every value set, by set, newest version first. */
export function valueSetVersions(em: EntityManager): Promise<ValueSetVersion[]> {
  return em.find(ValueSetVersion, {
    order: { valueSet: 'ASC', version: 'DESC' },
  });
}

/** Every code of every version, in each set's display order. */
export function valueSetCodes(em: EntityManager): Promise<ValueSetCode[]> {
  return em.find(ValueSetCode, { order: { sortOrder: 'ASC' } });
}

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
