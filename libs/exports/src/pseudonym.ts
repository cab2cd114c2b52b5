import { createHmac } from 'node:crypto';
import { addCalendarDays } from '../../time/src/index.js';

/**
 * Pseudonyms and date shifts of the patient-level export files, both derived from a key held outside the
 * database (EXPORT_PSEUDONYM_KEY): the same patient gets the same pseudonym and the same shift in every
 * export made with the key, so files and versions join up, and nothing in the database or an export lets
 * anyone go back from a pseudonym to the patient.
 */
export class Pseudonymiser {
  constructor(
    private readonly key: string,
    /** External profiles shift dates by up to this many days either way (never 0). */
    private readonly maxShiftDays: number,
  ) {
    if (key.length < 32) throw new RangeError('the pseudonym key needs at least 32 characters');
    if (!Number.isInteger(maxShiftDays) || maxShiftDays < 1) throw new RangeError('maxShiftDays must be ≥ 1');
  }

  private mac(purpose: string, patientId: string): Buffer {
    return createHmac('sha256', this.key).update(`${purpose}\u0000${patientId}`).digest();
  }

  /** HMAC-SHA-256 of the patient's internal id, hex (64 characters). */
  pseudonym(patientId: string): string {
    return this.mac('pseudonym', patientId).toString('hex');
  }

  /** The patient's date shift in days: within ±maxShiftDays, never 0, the same in every file. */
  shiftDays(patientId: string): number {
    const mac = this.mac('date-shift', patientId);
    const magnitude = (mac.readUInt32BE(0) % this.maxShiftDays) + 1;
    return (mac[4] & 1) === 1 ? -magnitude : magnitude;
  }
}

/**
 * A calendar date (YYYY-MM-DD) moved by whole days on the UTC calendar, so no clock change moves it; a date
 * that does not exist is refused (RangeError). The follow-up rules' calendar arithmetic, under the name the
 * exports use.
 */
export const shiftDate = addCalendarDays;
