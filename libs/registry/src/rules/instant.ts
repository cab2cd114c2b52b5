/** Milliseconds in one hour and in one day of elapsed time (UTC instants: no DST, no leap seconds). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Throws a RangeError when `value` is an invalid Date: an unparseable instant is a programming or data
 * error, never a clinical fact to derive from.
 */
export function assertInstant(value: Date, name: string): void {
  if (Number.isNaN(value.getTime())) throw new RangeError(`${name} is not a valid instant`);
}
