import { createHmac } from 'node:crypto';

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

/** A calendar date (YYYY-MM-DD) moved by whole days, in UTC so no time zone can move it. */
export function shiftDate(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00Z`);
  // Date.parse rolls 30 February over to March: a date must read back as itself.
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    Number.isNaN(time) ||
    new Date(time).toISOString().slice(0, 10) !== date
  ) {
    throw new RangeError(`not a date: ${date}`);
  }
  return new Date(time + days * 86_400_000).toISOString().slice(0, 10);
}
