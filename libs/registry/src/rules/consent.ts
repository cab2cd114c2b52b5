/**
 * The consent timeline for research enrolment under the Mental Capacity Act 2005 (ss.30-33): a patient put on
 * VA-ECMO after heart surgery usually lacks capacity, so consent is not one yes/no but a dated sequence of
 * events (emergency enrolment, consultee advice, the patient's own decision once they regain capacity,
 * withdrawals). The current status is always derived from those events, never stored as a flag, so it can be
 * re-derived and audited at any instant. Pure functions: no clock, no database.
 */
import { assertInstant } from '../../../time/src/index.js';

export type ConsentEventKind =
  'emergency_enrolment' | 'consultee_advice' | 'patient_consent' | 'patient_declined' | 'withdrawal';

export const CONSENT_EVENT_KINDS: readonly ConsentEventKind[] = [
  'emergency_enrolment',
  'consultee_advice',
  'patient_consent',
  'patient_declined',
  'withdrawal',
];

export const CONSENT_STATES = [
  'emergency_enrolled',
  'consultee_agreed',
  'consultee_declined',
  'consented',
  'declined',
  'withdrawn',
] as const;

export type ConsentState = (typeof CONSENT_STATES)[number];

/**
 * How far a withdrawal goes: (a) no more contact with the patient (no reminders); (b) no more data
 * collection: no new clinical data dated after the withdrawal; (c) excluded from future exports.
 */
export type WithdrawalLevel = 'a' | 'b' | 'c';

export const WITHDRAWAL_LEVELS: readonly WithdrawalLevel[] = ['a', 'b', 'c'];

/** One dated consent event, reduced to the facts the status is derived from. */
export interface ConsentEventFacts {
  kind: ConsentEventKind;
  occurredAt: Date;
  /**
   * `consultee_advice` only: whether the consultee advised that the patient would wish to take part. Whether
   * the consultee was personal or nominated is recorded with the event but does not change the status.
   */
  consulteeAgreed?: boolean | null;
  /** `withdrawal` only: how far the withdrawal goes. */
  withdrawalLevel?: WithdrawalLevel | null;
}

export interface ConsentStatus {
  /** The state left by the latest event; null when there are no events. */
  state: ConsentState | null;
  /** Declined by the patient or their consultee: kept only as a count from this instant (identity destroyed). */
  countingOnlySince: Date | null;
  /** Level (a): no more contact with the patient (no reminders) from this instant. */
  contactWithdrawnAt: Date | null;
  /** Level (b): no new clinical data dated after this instant. */
  dataCollectionWithdrawnAt: Date | null;
  /** Level (c): excluded from exports made after this instant. */
  exportWithdrawnAt: Date | null;
}

type WithdrawalField = 'contactWithdrawnAt' | 'dataCollectionWithdrawnAt' | 'exportWithdrawnAt';

const WITHDRAWAL_FIELD: Readonly<Record<WithdrawalLevel, WithdrawalField>> = {
  a: 'contactWithdrawnAt',
  b: 'dataCollectionWithdrawnAt',
  c: 'exportWithdrawnAt',
};

const WITHDRAWAL_MEANING: Readonly<Record<WithdrawalLevel, string>> = {
  a: 'no more contact',
  b: 'no more data collection',
  c: 'excluded from exports',
};

function isWithdrawalLevel(value: unknown): value is WithdrawalLevel {
  return (WITHDRAWAL_LEVELS as readonly unknown[]).includes(value);
}

/**
 * Throws a RangeError for an event that cannot be folded: an invalid instant, a consultee's advice that does
 * not say whether they agreed (the two answers lead to opposite states), or a withdrawal without a level
 * (each level stops something different, so an unknown level cannot be honoured).
 */
function checkEvent(event: ConsentEventFacts, index: number): void {
  assertInstant(event.occurredAt, `events[${index}].occurredAt`);
  if (event.kind === 'consultee_advice' && typeof event.consulteeAgreed !== 'boolean') {
    throw new RangeError(`events[${index}]: consultee advice must say whether the consultee agreed`);
  }
  if (event.kind === 'withdrawal' && !isWithdrawalLevel(event.withdrawalLevel)) {
    throw new RangeError(
      `events[${index}]: a withdrawal must have a level (a, b or c), got ${String(event.withdrawalLevel)}`,
    );
  }
}

function stateAfter(event: ConsentEventFacts): ConsentState {
  switch (event.kind) {
    case 'emergency_enrolment':
      return 'emergency_enrolled';
    case 'consultee_advice':
      return event.consulteeAgreed ? 'consultee_agreed' : 'consultee_declined';
    case 'patient_consent':
      return 'consented';
    case 'patient_declined':
      return 'declined';
    case 'withdrawal':
      return 'withdrawn';
  }
}

/** A decline by the patient, or a consultee's advice that the patient would not wish to take part. */
function isDecline(event: ConsentEventFacts): boolean {
  return (
    event.kind === 'patient_declined' ||
    (event.kind === 'consultee_advice' && event.consulteeAgreed === false)
  );
}

/**
 * The consent status derived from a patient's consent events, folded in time order (events at the same
 * instant keep their input order):
 * - `state` is the state of the latest event; null with no events;
 * - `countingOnlySince` is the first decline, by the patient or by a consultee advising that the patient would
 *   not wish to take part (MCA 2005 s.32(5), s.33(4)): from then the patient is kept only as a count;
 * - withdrawals accumulate: each level (a, b, c) keeps the instant of its first withdrawal, because what it
 *   stops (contact, data collection, exports) stops from that instant, and a later withdrawal at another
 *   level adds to it without moving it.
 * The fold does not judge the order of the events; {@link consentEventProblem} guards each new one.
 * Throws a RangeError for an invalid instant, a consultee's advice without a boolean `consulteeAgreed`, or a
 * withdrawal without a level.
 */
export function consentStatus(events: readonly ConsentEventFacts[]): ConsentStatus {
  events.forEach(checkEvent);
  // Array.prototype.sort is stable (ES2019), so events at the same instant keep their input order.
  const ordered = [...events].sort((x, y) => x.occurredAt.getTime() - y.occurredAt.getTime());
  const status: ConsentStatus = {
    state: null,
    countingOnlySince: null,
    contactWithdrawnAt: null,
    dataCollectionWithdrawnAt: null,
    exportWithdrawnAt: null,
  };
  for (const event of ordered) {
    status.state = stateAfter(event);
    if (isDecline(event) && status.countingOnlySince === null) status.countingOnlySince = event.occurredAt;
    if (event.kind === 'withdrawal' && isWithdrawalLevel(event.withdrawalLevel)) {
      const field = WITHDRAWAL_FIELD[event.withdrawalLevel];
      status[field] ??= event.occurredAt;
    }
  }
  return status;
}

/**
 * Why `next` may not be appended to a consent timeline whose status is `current`, in the clinic's words, or
 * null when it may (events are appended in time order; the caller checks the dates):
 * - nothing follows a decline: the patient is then kept only as a count, their identity destroyed;
 * - the timeline opens with an emergency enrolment (agreed by a doctor independent of the study, MCA 2005
 *   s.32(8)-(9)) or with the patient's own consent; an emergency enrolment is never a later event;
 * - a consultee is asked (MCA 2005 s.32) only after an emergency enrolment, and may be asked again (a
 *   nominated consultee after a personal one), never once the patient has decided for themselves or withdrawn;
 * - the patient's own consent may open the timeline or follow an emergency enrolment or a consultee's
 *   agreement (they regained capacity); their decline may follow only those two (at the start, they are simply
 *   not enrolled; after consenting, a change of mind is a withdrawal);
 * - a withdrawal (MCA 2005 s.33(4)) may follow any enrolled, non-declined state, and a further withdrawal may
 *   add another level, but not repeat one.
 * A consultee's advice without a boolean `consulteeAgreed`, or a withdrawal without a level, is refused too.
 */
export function consentEventProblem(current: ConsentStatus, next: ConsentEventFacts): string | null {
  const { state } = current;
  if (current.countingOnlySince !== null || state === 'declined' || state === 'consultee_declined') {
    return 'the patient (or their consultee) declined: the record is kept only as a count';
  }
  if (state === null && next.kind !== 'emergency_enrolment' && next.kind !== 'patient_consent') {
    return "the consent record must start with an emergency enrolment (agreed by an independent doctor) or the patient's own consent";
  }
  switch (next.kind) {
    case 'emergency_enrolment':
      return state === null
        ? null
        : 'an emergency enrolment can only start the consent record: this patient is already enrolled';
    case 'consultee_advice':
      if (typeof next.consulteeAgreed !== 'boolean') {
        return "the consultee's advice must say whether they agreed to the patient taking part";
      }
      if (state === 'emergency_enrolled' || state === 'consultee_agreed') return null;
      if (state === 'consented') {
        return 'the patient has consented for themselves: a consultee is only asked while the patient lacks capacity';
      }
      return 'the patient has withdrawn from the study: a consultee cannot be asked after a withdrawal';
    case 'patient_consent':
      if (state === null || state === 'emergency_enrolled' || state === 'consultee_agreed') return null;
      if (state === 'consented') return 'the patient has already consented';
      return 'the patient has withdrawn from the study: consent cannot be recorded after a withdrawal';
    case 'patient_declined':
      if (state === 'emergency_enrolled' || state === 'consultee_agreed') return null;
      if (state === 'consented') {
        return 'the patient has consented: a later change of mind is recorded as a withdrawal, not a decline';
      }
      return 'the patient has withdrawn from the study: a further change is recorded as another withdrawal level, not a decline';
    case 'withdrawal': {
      if (!isWithdrawalLevel(next.withdrawalLevel)) {
        return 'a withdrawal must say its level: (a) no more contact, (b) no more data collection or (c) excluded from exports';
      }
      const level = next.withdrawalLevel;
      if (current[WITHDRAWAL_FIELD[level]] !== null) {
        return `already withdrawn at level ${level} (${WITHDRAWAL_MEANING[level]})`;
      }
      return null;
    }
  }
}
