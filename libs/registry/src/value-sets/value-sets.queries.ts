import type { EntityManager } from 'typeorm';
import { ValueSetCode, ValueSetVersion } from './value-set.entities.js';

/**
 * The registry's reads of the value sets, made once at start (ValueSets keeps the current versions). What
 * other libs read of them is in current-codes.ts.
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
