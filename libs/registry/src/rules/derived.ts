/**
 * Facts derived from raw recorded instants (domain guide §3 items 5 and 7), never typed in. Pure functions:
 * "now" is always a parameter. Instants are UTC, so DST changes cannot affect elapsed hours or days.
 */
import { assertInstant, DAY_MS, HOUR_MS } from '../../../time/src/index.js';

/** How an ECMO run ended (domain guide §3 item 5). */
export type EndReason =
  | 'weaned'
  | 'bridged_vad'
  | 'bridged_transplant'
  | 'died_on_ecmo'
  | 'withdrawn_futility'
  | 'transferred_on_ecmo';

export const END_REASONS: readonly EndReason[] = [
  'weaned',
  'bridged_vad',
  'bridged_transplant',
  'died_on_ecmo',
  'withdrawn_futility',
  'transferred_on_ecmo',
];

/** End reasons that are deaths: on ECMO, or care withdrawn (decannulated to die). */
const NON_SURVIVAL: ReadonlySet<EndReason> = new Set<EndReason>(['died_on_ecmo', 'withdrawn_futility']);

/**
 * ECMO duration in hours, rounded to one decimal (half up), from the start to the end instant; an open run
 * (no end) counts up to `now`. Throws a RangeError when the end (or `now`, for an open run) precedes the start.
 */
export function ecmoDurationHours(start: Date, end: Date | null, now: Date): number {
  assertInstant(start, 'start');
  const until = end ?? now;
  assertInstant(until, end ? 'end' : 'now');
  const ms = until.getTime() - start.getTime();
  if (ms < 0) throw new RangeError(`ECMO ${end ? 'end' : 'now'} is before its start`);
  return Math.round(ms / (HOUR_MS / 10)) / 10;
}

/**
 * Whether the patient survived the ECMO run (ELSO's "survived ECLS"): null while the run is open; false when
 * they died on ECMO or care was withdrawn for futility; true when weaned, bridged to VAD or transplant, or
 * transferred on ECMO to another centre (alive at the end of the run here, whatever happens there).
 */
export function survivedEcmo(run: { endReason: EndReason | null }): boolean | null {
  if (run.endReason === null) return null;
  return !NON_SURVIVAL.has(run.endReason);
}

/**
 * Successful weaning (domain guide §3 item 5, the ELSO / PELS definition): weaned from ECMO (recovery, not a
 * bridge) and alive `hours` (24 or 48) after decannulation. A death at or before decannulation + `hours` is a
 * failure; without a recorded death, success once `hours` have fully passed since decannulation (exactly 24 h
 * counts), unknown (null) before. Null while the run is open; false for any other end reason.
 * A death is taken as recorded: `death` is the known death instant at `now`, or null.
 */
export function successfulWeaning(
  run: { end: Date | null; endReason: EndReason | null },
  death: Date | null,
  hours: 24 | 48,
  now: Date,
): boolean | null {
  if (run.endReason === null) return null;
  if (run.endReason !== 'weaned') return false;
  if (run.end === null) return null;
  assertInstant(run.end, 'end');
  assertInstant(now, 'now');
  const windowEnd = run.end.getTime() + hours * HOUR_MS;
  if (death !== null) {
    assertInstant(death, 'death');
    return death.getTime() > windowEnd;
  }
  return now.getTime() >= windowEnd ? true : null;
}

/**
 * Successful weaning judged at hospital discharge (domain guide §3 item 5): weaned from ECMO and alive at
 * discharge. Null while the run is open or, for a weaned patient, until the hospital outcome is recorded;
 * false for any end reason other than `weaned`, whatever the discharge status.
 */
export function successfulWeaningAtDischarge(
  endReason: EndReason | null,
  aliveAtDischarge: boolean | null,
): boolean | null {
  if (endReason === null) return null;
  if (endReason !== 'weaned') return false;
  return aliveAtDischarge;
}

/**
 * Whole days (floor of elapsed 24-hour periods) from decannulation to `now`, or null while the run is open.
 * Throws a RangeError when decannulation is after `now` (a future end instant is a data error).
 */
export function daysSinceDecannulation(end: Date | null, now: Date): number | null {
  if (end === null) return null;
  assertInstant(end, 'end');
  assertInstant(now, 'now');
  const ms = now.getTime() - end.getTime();
  if (ms < 0) throw new RangeError('Decannulation is after now');
  return Math.floor(ms / DAY_MS);
}

/**
 * Survival to hospital discharge (domain guide §3 item 7; the registry's headline outcome): true for a
 * discharge, false for an in-hospital death, null while no hospital outcome is recorded.
 */
export function survivedToDischarge(outcome: { kind: 'discharge' | 'death' } | null): boolean | null {
  if (outcome === null) return null;
  return outcome.kind === 'discharge';
}
