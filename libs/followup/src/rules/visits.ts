/**
 * Follow-up visits (domain guide §4) as plain rules: when each visit of a protocol falls, and which state it
 * is in on a given day. Dates are calendar days in Europe/London (`YYYY-MM-DD`); the services turn instants
 * into London days before calling these.
 */

import { addCalendarDays } from '../../../time/src/index.js';

/** What a visit is anchored on: the last decannulation, or the hospital discharge. */
export const VISIT_ANCHORS = ['decannulation', 'discharge'] as const;
export type VisitAnchor = (typeof VISIT_ANCHORS)[number];

/** One visit of a protocol, as published. */
export interface ProtocolVisit {
  /** Stable code: `day_30`, `month_3`… (what exports and reminders name). */
  readonly code: string;
  readonly label: string;
  readonly anchor: VisitAnchor;
  /** Due this many days after the anchor. */
  readonly offsetDays: number;
  /** The window opens this many days before the due day, and closes this many days after it. */
  readonly windowBeforeDays: number;
  readonly windowAfterDays: number;
  /** Planned only for patients on extended (yearly) follow-up. */
  readonly optional: boolean;
}

export const VISIT_STATUSES = [
  'scheduled',
  'due',
  'booked',
  'completed',
  'missed',
  'not_required',
  'lost_to_follow_up',
] as const;
export type VisitStatus = (typeof VISIT_STATUSES)[number];

/** Why a visit is not required. */
export type NotRequiredReason =
  'death' | 'withdrawal' | 'declined' | 'lost_to_follow_up' | 'protocol_changed' | 'not_planned';

/** The default protocol (version 1): ELSO's 3, 6 and 12 months, PELS-1's one-year end point. */
export const DEFAULT_PROTOCOL: readonly ProtocolVisit[] = [
  // The discharge assessment (mRS before discharge) may be completed from the hospital record for two weeks.
  visit('discharge', 'Discharge', 'discharge', 0, 0, 14),
  visit('day_30', 'Day 30', 'decannulation', 30, 7, 14),
  visit('month_3', 'Month 3', 'decannulation', 90, 14, 14),
  visit('month_6', 'Month 6', 'decannulation', 182, 30, 30),
  visit('month_12', 'Month 12', 'decannulation', 365, 30, 30),
  ...[2, 3, 4, 5].map((year) =>
    visit(`year_${year}`, `Year ${year}`, 'decannulation', 365 * year, 30, 30, true),
  ),
];

function visit(
  code: string,
  label: string,
  anchor: VisitAnchor,
  offsetDays: number,
  windowBeforeDays: number,
  windowAfterDays: number,
  optional = false,
): ProtocolVisit {
  return { code, label, anchor, offsetDays, windowBeforeDays, windowAfterDays, optional };
}

/** Why a protocol cannot be published: field and reason, for a 422. */
export function protocolProblems(visits: readonly ProtocolVisit[]): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  if (visits.length === 0) problems.push({ field: 'visits', reason: 'a protocol has at least one visit' });
  const seen = new Set<string>();
  visits.forEach((v, i) => {
    if (seen.has(v.code)) problems.push({ field: `visits.${i}.code`, reason: `${v.code} appears twice` });
    seen.add(v.code);
    if (v.offsetDays - v.windowBeforeDays < 0) {
      problems.push({
        field: `visits.${i}.windowBeforeDays`,
        reason: 'the window would open before the anchor',
      });
    }
  });
  return problems;
}

/** When the patient's anchors fell (London days), or null while unknown. */
export interface Anchors {
  readonly decannulation: string | null;
  readonly discharge: string | null;
}

/** A visit's days: null while its anchor is not known. */
export interface VisitDates {
  readonly dueOn: string | null;
  readonly opensOn: string | null;
  readonly closesOn: string | null;
}

/** The days of one visit from the patient's anchors. */
export function visitDates(visit: ProtocolVisit, anchors: Anchors): VisitDates {
  const anchor = anchors[visit.anchor];
  if (anchor === null) return { dueOn: null, opensOn: null, closesOn: null };
  const dueOn = addCalendarDays(anchor, visit.offsetDays);
  return {
    dueOn,
    opensOn: addCalendarDays(dueOn, -visit.windowBeforeDays),
    closesOn: addCalendarDays(dueOn, visit.windowAfterDays),
  };
}

/** The visits a patient is planned for: none until one anchor is known; optional ones on extended follow-up. */
export function plannedVisits(
  protocol: readonly ProtocolVisit[],
  anchors: Anchors,
  extendedFollowUp: boolean,
): ProtocolVisit[] {
  const used = new Set(protocol.map((v) => v.anchor));
  if (![...used].some((a) => anchors[a] !== null)) return [];
  return protocol.filter((v) => extendedFollowUp || !v.optional);
}

/**
 * What ends a patient's follow-up, as London days: death, withdrawal at level (b), a decline (kept only as
 * a count), or loss to follow-up declared by a nurse.
 */
export interface FollowUpEnds {
  readonly deathOn: string | null;
  readonly withdrawnOn: string | null;
  readonly declined: boolean;
  readonly lostOn: string | null;
}

export interface VisitState {
  readonly status: VisitStatus;
  readonly reason: NotRequiredReason | null;
}

/**
 * A visit's state on `today` (domain guide §4): `completed` once assessed; after a death or a level (b)
 * withdrawal, the visits whose window had closed before stay `missed` and the others become `not_required`;
 * when a patient is lost to follow-up, the visit whose window was open (or had opened) becomes
 * `lost_to_follow_up` and later ones `not_required`; otherwise the clock moves it from `scheduled` (window
 * not open) to `due` (open; `booked` with an appointment) to `missed` (closed without a completed visit).
 */
export function visitState(
  dates: VisitDates,
  facts: { readonly completed: boolean; readonly booked: boolean },
  ends: FollowUpEnds,
  today: string,
): VisitState {
  const state = (status: VisitStatus, reason: NotRequiredReason | null = null): VisitState => ({
    status,
    reason,
  });
  if (facts.completed) return state('completed');
  if (ends.declined) return state('not_required', 'declined');
  const end =
    ends.deathOn !== null && (ends.withdrawnOn === null || ends.deathOn <= ends.withdrawnOn)
      ? { on: ends.deathOn, reason: 'death' as const }
      : ends.withdrawnOn !== null
        ? { on: ends.withdrawnOn, reason: 'withdrawal' as const }
        : null;
  const { opensOn, closesOn } = dates;
  if (end) {
    return closesOn !== null && closesOn < end.on ? state('missed') : state('not_required', end.reason);
  }
  if (ends.lostOn !== null) {
    if (closesOn !== null && closesOn < ends.lostOn) return state('missed');
    if (opensOn !== null && opensOn <= ends.lostOn) return state('lost_to_follow_up');
    return state('not_required', 'lost_to_follow_up');
  }
  if (opensOn === null || closesOn === null || today < opensOn) return state('scheduled');
  // Booked, even past the window (a clinic that slipped): the visit says so (bookedOutsideWindow).
  if (facts.booked) return state('booked');
  if (today <= closesOn) return state('due');
  return state('missed');
}
