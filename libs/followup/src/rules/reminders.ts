/**
 * Patient reminders as pure rules (domain guide §4): which reminders a patient's booked appointments call
 * for, how the pending ones change when the appointments or the patient's course change, and the words sent.
 */

import { reminderInstant } from '../../../time/src/index.js';
import type { FollowUpEnds } from './visits.js';

export type ReminderChannel = 'sms' | 'email';

export interface ReminderPolicy {
  /** Days before the appointment's local date, e.g. [7, 1]. */
  readonly daysBefore: readonly number[];
  /** Local time of day (HH:MM, the registry's zone) the reminders go out. */
  readonly sendAt: string;
}

/** `REMINDER_DAYS_BEFORE` and `REMINDER_SEND_AT` as a policy (the configuration has validated both). */
export function reminderPolicy(daysBefore: string, sendAt: string): ReminderPolicy {
  const days = [...new Set(daysBefore.split(',').map(Number))].sort((a, b) => b - a);
  return { daysBefore: days, sendAt };
}

/** Why a patient gets no reminders at all: each a rule of the guide. */
export type ReminderBlock =
  | 'declined'
  | 'died'
  | 'withdrawn_contact'
  | 'withdrawn_data'
  | 'lost_to_follow_up'
  | 'inpatient'
  | 'no_channel';

export interface ReminderFacts {
  readonly ends: FollowUpEnds;
  /** Withdrawal level (a): no contact (the visits stay, completed from hospital records). */
  readonly contactWithdrawn: boolean;
  /** A hospital discharge is recorded: until then the patient is an inpatient. */
  readonly discharged: boolean;
  /** The patient's choice, `none` when they want no reminders. */
  readonly channel: ReminderChannel | 'none';
}

/**
 * Never to a patient who declined, died or withdrew (level a or b), or was lost to follow-up; never while
 * still an inpatient (no discharge recorded); never to one who chose no reminders.
 */
export function reminderBlock(facts: ReminderFacts): ReminderBlock | null {
  if (facts.ends.declined) return 'declined';
  if (facts.ends.deathOn !== null) return 'died';
  if (facts.ends.withdrawnOn !== null) return 'withdrawn_data';
  if (facts.contactWithdrawn) return 'withdrawn_contact';
  if (facts.ends.lostOn !== null) return 'lost_to_follow_up';
  if (!facts.discharged) return 'inpatient';
  if (facts.channel === 'none') return 'no_channel';
  return null;
}

export interface BookedAppointment {
  readonly id: string;
  /** Local date (YYYY-MM-DD) in the registry's zone. */
  readonly localDate: string;
  readonly startsAt: Date;
}

export interface PendingReminder {
  readonly id: string;
  readonly appointmentId: string;
  readonly daysBefore: number;
  readonly channel: ReminderChannel;
  readonly dueAt: Date;
  /** The appointment's local date it was planned for. */
  readonly appointmentDate: string;
}

/** A reminder already handed to a provider (sending, sent or unknown): it is never planned again. */
export interface HandedOverReminder {
  readonly appointmentId: string;
  readonly appointmentDate: string;
  readonly daysBefore: number;
}

export interface NewReminder {
  readonly appointmentId: string;
  readonly appointmentDate: string;
  readonly daysBefore: number;
  readonly channel: ReminderChannel;
  readonly dueAt: Date;
}

/** Why a pending reminder is cancelled. */
export type CancelReason =
  ReminderBlock | 'appointment_not_booked' | 'not_planned' | 'moment_passed' | 'already_sent';

export interface ReminderChanges {
  readonly add: NewReminder[];
  /** Pending reminders whose moment or channel changed (version + 1; the job queued before is stale). */
  readonly move: Array<{ id: string; channel: ReminderChannel; dueAt: Date; appointmentDate: string }>;
  readonly cancel: Array<{ id: string; reason: CancelReason }>;
}

/**
 * How the pending reminders must change so that they match the booked appointments, the policy and the
 * patient's course. A pending reminder already due is kept while nothing about it changed (its job may be
 * waiting for a worker); a new or moved one is added only if its moment is still ahead of `now` and before
 * the appointment starts, so a move never yields a message for a moment that has passed.
 */
export function reminderChanges(
  booked: readonly BookedAppointment[],
  pending: readonly PendingReminder[],
  policy: ReminderPolicy,
  block: ReminderBlock | null,
  channel: ReminderChannel | 'none',
  now: Date,
  handedOver: readonly HandedOverReminder[] = [],
): ReminderChanges {
  const changes: ReminderChanges = { add: [], move: [], cancel: [] };
  const matched = new Set<string>();
  if (block === null && channel !== 'none') {
    for (const appointment of booked) {
      for (const daysBefore of policy.daysBefore) {
        const appointmentDate = appointment.localDate;
        const dueAt = reminderInstant(appointmentDate, daysBefore, policy.sendAt);
        const live = pending.find((p) => p.appointmentId === appointment.id && p.daysBefore === daysBefore);
        const ahead = dueAt.getTime() > now.getTime() && dueAt.getTime() < appointment.startsAt.getTime();
        // Once per appointment date and days-before: a later send time or a replan never sends it again.
        const sent = handedOver.some(
          (h) =>
            h.appointmentId === appointment.id &&
            h.appointmentDate === appointmentDate &&
            h.daysBefore === daysBefore,
        );
        if (live) {
          matched.add(live.id);
          if (sent) changes.cancel.push({ id: live.id, reason: 'already_sent' });
          else if (live.dueAt.getTime() === dueAt.getTime() && live.channel === channel) continue;
          else if (ahead) changes.move.push({ id: live.id, channel, dueAt, appointmentDate });
          else changes.cancel.push({ id: live.id, reason: 'moment_passed' });
        } else if (ahead && !sent) {
          changes.add.push({ appointmentId: appointment.id, appointmentDate, daysBefore, channel, dueAt });
        }
      }
    }
  }
  for (const live of pending) {
    if (matched.has(live.id)) continue;
    const reason: CancelReason =
      block ??
      (channel === 'none'
        ? 'no_channel'
        : booked.some((a) => a.id === live.appointmentId)
          ? 'not_planned'
          : 'appointment_not_booked');
    changes.cancel.push({ id: live.id, reason });
  }
  return changes;
}

/** The BullMQ id of a reminder's job at a version (no ':'; a new version is a new job). */
export function reminderJobId(reminderId: string, version: number): string {
  return `reminder-${reminderId}-v${version}`;
}

export interface ReminderContent {
  readonly localDate: string;
  readonly localTime: string;
  readonly mode: 'clinic' | 'telephone' | 'video';
  readonly place: string | null;
  /** The site's follow-up number; without one the patient is pointed to their appointment letter. */
  readonly phone: string | null;
}

export interface RenderedMessage {
  /** E-mail only. */
  readonly subject: string;
  readonly body: string;
}

const LONG_DATE = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/**
 * "Tuesday 12 January 2027" for a local date, whatever the process's time zone (and whatever punctuation the
 * ICU version puts between the parts: the parts are joined here).
 */
export function longDate(localDate: string): string {
  const parts = LONG_DATE.formatToParts(new Date(`${localDate}T00:00:00Z`));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}`;
}

/**
 * The words of a reminder, rendered when it is sent (so a moved appointment is announced at its new time).
 * SMS is not secure: no clinical detail, no name, no diagnosis, no hospital department; only the date, time,
 * where (or how) and what to do to change it.
 */
export function renderReminder(content: ReminderContent): RenderedMessage {
  const when = `${longDate(content.localDate)} at ${content.localTime}`;
  const where =
    content.mode === 'telephone'
      ? 'by telephone: we will call you'
      : content.mode === 'video'
        ? 'by video call'
        : content.place
          ? `at ${content.place}`
          : 'at the clinic';
  return {
    subject: `Your appointment on ${longDate(content.localDate)}`,
    body:
      `Reminder: you have an appointment on ${when}, ${where}. ` +
      `If you cannot come, please call ${content.phone ?? 'the number on your appointment letter'}.`,
  };
}
