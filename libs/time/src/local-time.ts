/**
 * Local wall-clock time in the registry's zone, as pure rules. Follow-up appointments are booked as a local
 * date and time in Europe/London, and stored as that date, time and zone together with the UTC instant they
 * resolve to; reminders fire a number of calendar days before the appointment at a local time of day.
 *
 * Only Node's built-in Intl is used, and never the process time zone: every result is the same whatever `TZ`
 * the API or the worker runs under.
 */

import { DAY_MS, REGISTRY_TIME_ZONE } from './instant.js';

export type LocalTimeResolution =
  { ok: true; instant: Date } | { ok: false; problem: 'nonexistent' | 'ambiguous'; reason: string };

const MINUTE_MS = 60_000;

/**
 * The UTC instant of a local date and time in `zone`.
 *
 * - A local time that does not exist (it falls in the spring-forward gap: in Europe/London 01:00–01:59 on the
 *   last Sunday of March) is rejected with `problem: 'nonexistent'`, and a reason saying the clocks go forward
 *   and giving the first valid time, e.g. "01:30 does not exist on 2026-03-29: clocks go forward from 01:00 to
 *   02:00 in Europe/London; choose 02:00 or later".
 * - A local time that happens twice (it falls in the fall-back overlap: 01:00–01:59 on the last Sunday of
 *   October) is rejected with `problem: 'ambiguous'`, and a reason naming both instants (BST and GMT) and
 *   asking for a time outside 01:00–01:59.
 *
 * Both are refused rather than guessed because an appointment at a time that does not exist or happens twice
 * would send the patient to the clinic at the wrong hour, and clinics do not book at 01:00 anyway.
 *
 * @param date `YYYY-MM-DD`, a real calendar date (years 0001–9999).
 * @param time `HH:MM`, 00:00–23:59.
 * @throws RangeError when `date` or `time` is malformed: callers validate their DTOs first, so this is a bug.
 */
export function resolveLocalTime(date: string, time: string, zone = REGISTRY_TIME_ZONE): LocalTimeResolution {
  const wall = wallClockMs(date, time);
  const instants = candidateInstants(wall, zone);
  if (instants.length === 1) return { ok: true, instant: new Date(instants[0]) };

  const shift = clockChangeAround(wall, zone);
  if (instants.length === 0) {
    const from = formatUtcTime(shift.at + shift.offsetBefore);
    const to = formatUtcTime(shift.at + shift.offsetAfter);
    return {
      ok: false,
      problem: 'nonexistent',
      reason: `${time} does not exist on ${date}: clocks go forward from ${from} to ${to} in ${zone}; choose ${to} or later`,
    };
  }

  const [first, second] = instants;
  // The repeated hour runs from the new offset's wall clock at the change up to (not including) the old one's.
  const repeatedFrom = formatUtcTime(shift.at + shift.offsetAfter);
  const repeatedTo = formatUtcTime(shift.at + shift.offsetBefore - MINUTE_MS);
  const back = formatUtcTime(shift.at + shift.offsetAfter);
  const until = formatUtcTime(shift.at + shift.offsetBefore);
  return {
    ok: false,
    problem: 'ambiguous',
    reason:
      `${time} on ${date} happens twice in ${zone} because clocks go back from ${until} to ${back}: ` +
      `first at ${describeInstant(first, zone)}, then at ${describeInstant(second, zone)}; ` +
      `choose a time outside ${repeatedFrom}–${repeatedTo}`,
  };
}

/** The local date (`YYYY-MM-DD`) and time (`HH:MM`, 24 h) of an instant in `zone`. */
export function localWallClock(instant: Date, zone = REGISTRY_TIME_ZONE): { date: string; time: string } {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid instant');
  const iso = new Date(localAsUtcMs(ms, zone)).toISOString();
  // toISOString() widens years outside 0000–9999 to ±YYYYYY; slicing from the end keeps the time correct.
  const [datePart, timePart] = splitIso(iso);
  return { date: datePart, time: timePart.slice(0, 5) };
}

/**
 * `date` moved by `days` calendar days. Calendar days are counted on the UTC calendar so that a clock change
 * never makes a day 23 or 25 hours long here.
 */
export function addCalendarDays(date: string, days: number): string {
  if (!Number.isInteger(days)) throw new RangeError(`days must be a whole number, not ${days}`);
  const result = wallClockMs(date, '00:00') + days * DAY_MS;
  const [resultDate] = splitIso(new Date(result).toISOString());
  // Keep the result within the dates parseDate accepts, so it can be fed back in.
  if (!/^\d{4}-/.test(resultDate) || resultDate.startsWith('0000')) {
    throw new RangeError(`${date} + ${days} days is outside years 0001–9999`);
  }
  return resultDate;
}

/**
 * When a reminder fires: `sendAt` local time on the calendar day `daysBefore` days before the appointment's
 * local date.
 *
 * A reminder is a message, not an appointment, so a wall-clock time the day lacks moves it instead of refusing
 * it: a non-existent time (spring-forward gap) fires at the first valid instant after the gap (01:30 on
 * 2026-03-29 → 02:00 BST = 01:00Z), and an ambiguous time (fall-back overlap) fires at its earlier occurrence
 * (01:30 on 2026-10-25 → 01:30 BST = 00:30Z), so it is never late nor sent twice.
 *
 * @throws RangeError when the date or `sendAt` is malformed, or `daysBefore` is not a whole number ≥ 0.
 */
export function reminderInstant(
  appointmentDate: string,
  daysBefore: number,
  sendAt = '09:00',
  zone = REGISTRY_TIME_ZONE,
): Date {
  if (!Number.isInteger(daysBefore) || daysBefore < 0) {
    throw new RangeError(`daysBefore must be a whole number ≥ 0, not ${daysBefore}`);
  }
  const day = addCalendarDays(appointmentDate, -daysBefore);
  const wall = wallClockMs(day, sendAt);
  const instants = candidateInstants(wall, zone);
  if (instants.length > 0) return new Date(instants[0]);
  return new Date(clockChangeAround(wall, zone).at);
}

/** The requested date and time read as if they were UTC: the "wall clock" every comparison works in. */
function wallClockMs(date: string, time: string): number {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!d) throw new RangeError(`date must be YYYY-MM-DD, not ${JSON.stringify(date)}`);
  const t = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!t) throw new RangeError(`time must be HH:MM between 00:00 and 23:59, not ${JSON.stringify(time)}`);
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const at = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(Number(t[1]), Number(t[2]), 0, 0);
  // A day or month out of range rolls over (2027-02-29 → 2027-03-01); a real date survives unchanged.
  if (year < 1 || at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) {
    throw new RangeError(`${date} is not a calendar date`);
  }
  return at.getTime();
}

/**
 * The instants whose wall clock in `zone` is `wall`, earliest first: none in a gap, two in an overlap. Each
 * offset in force a day either side (and at the wall clock itself) is tried; a zone changes its offset at
 * most once in a couple of days, so these cover every offset the wall clock can have been reached with.
 */
function candidateInstants(wall: number, zone: string): number[] {
  const offsets = new Set([wall - DAY_MS, wall, wall + DAY_MS].map((at) => offsetMs(at, zone)));
  const instants = new Set<number>();
  for (const offset of offsets) {
    const instant = wall - offset;
    if (localAsUtcMs(instant, zone) === wall) instants.add(instant);
  }
  return [...instants].sort((a, b) => a - b);
}

/** The clock change next to `wall`: the first instant on the new offset, and the offsets either side of it. */
function clockChangeAround(
  wall: number,
  zone: string,
): { at: number; offsetBefore: number; offsetAfter: number } {
  // Sample around the wall clock read in UTC; the change itself is within a day of it.
  const samples = [wall - DAY_MS, wall, wall + DAY_MS];
  for (let i = 0; i + 1 < samples.length; i++) {
    let [lo, hi] = [samples[i], samples[i + 1]];
    const offsetBefore = offsetMs(lo, zone);
    if (offsetMs(hi, zone) === offsetBefore) continue;
    // Zones change offset on whole seconds, the finest step Intl reports.
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetMs(mid, zone) === offsetBefore) lo = mid;
      else hi = mid;
    }
    return { at: hi, offsetBefore, offsetAfter: offsetMs(hi, zone) };
  }
  throw new Error(`no clock change in ${zone} near ${new Date(wall).toISOString()}`);
}

/** How far `zone`'s wall clock is ahead of UTC at `instant`. */
function offsetMs(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return localAsUtcMs(whole, zone) - whole;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `instant` in `zone`, to the second, read as if it were UTC. */
function localAsUtcMs(instant: number, zone: string): number {
  const parts: Record<string, string> = {};
  for (const { type, value } of formatter(zone).formatToParts(instant)) parts[type] = value;
  // Intl counts years by era; the day before 0001-01-01 is 1 BC, year 0 on the proleptic calendar.
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const at = new Date(0);
  at.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  // Some ICU versions still print midnight as 24 despite h23.
  at.setUTCHours(Number(parts.hour) % 24, Number(parts.minute), Number(parts.second), 0);
  return at.getTime();
}

/** `YYYY-MM-DD` and `HH:MM:SS.sssZ` of an ISO string. */
function splitIso(iso: string): [string, string] {
  const t = iso.lastIndexOf('T');
  return [iso.slice(0, t), iso.slice(t + 1)];
}

/** `HH:MM` of a wall clock read as UTC. */
function formatUtcTime(wall: number): string {
  return splitIso(new Date(wall).toISOString())[1].slice(0, 5);
}

/** e.g. `01:30 BST (2026-10-25T00:30Z)`: the zone's own abbreviation, and the UTC instant to be unambiguous. */
function describeInstant(instant: number, zone: string): string {
  const name =
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(instant)
      .find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const { time } = localWallClock(new Date(instant), zone);
  return `${time} ${name} (${new Date(instant).toISOString().slice(0, 16)}Z)`;
}
