import { LRUCache } from 'lru-cache';

/** Milliseconds in one hour and in one day of elapsed time (UTC instants: no DST, no leap seconds). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The registry's local time zone (England): calendar dates of instants are read here. */
export const REGISTRY_TIME_ZONE = 'Europe/London';

/** A calendar date without a time or a zone. */
export interface CalendarDate {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
}

/**
 * Throws a RangeError when `value` is an invalid Date: an unparseable instant is a programming or data
 * error, never a clinical fact to derive from.
 */
export function assertInstant(value: Date, name: string): void {
  if (Number.isNaN(value.getTime())) throw new RangeError(`${name} is not a valid instant`);
}

/**
 * The dates of the instants seen lately: every change checks the patient's whole timeline, the same
 * instants each time, and formatting one costs about 10 µs (issue 7's write profile: 4% of a request).
 */
const londonDates = new LRUCache<number, { readonly date: Readonly<CalendarDate>; readonly day: string }>({
  max: 100_000,
});

// Created once: building an Intl formatter is slow, formatting with one is not.
const londonDateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: REGISTRY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * The calendar date of `instant` in Europe/London (GMT in winter, BST = UTC+1 in summer): 2026-10-24T23:30Z
 * is 25 October (00:30 BST), 2026-03-29T00:30Z is 29 March (00:30 GMT, before the clocks go forward).
 * Throws a RangeError for an invalid instant.
 */
export function londonCalendarDate(instant: Date): Readonly<CalendarDate> {
  return londonDateOf(instant).date;
}

function londonDateOf(instant: Date): { readonly date: Readonly<CalendarDate>; readonly day: string } {
  assertInstant(instant, 'instant');
  const time = instant.getTime();
  let entry = londonDates.get(time);
  if (!entry) {
    const parts = londonDateFormat.formatToParts(instant);
    const part = (type: 'year' | 'month' | 'day'): number =>
      Number(parts.find((p) => p.type === type)?.value);
    const date = Object.freeze({ year: part('year'), month: part('month'), day: part('day') });
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    entry = { date, day: `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}` };
    londonDates.set(time, entry);
  }
  return entry;
}

/** The calendar date of `instant` in Europe/London as `YYYY-MM-DD` (how rules compare days). */
export function londonDay(instant: Date): string {
  return londonDateOf(instant).day;
}
