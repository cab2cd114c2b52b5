import { ConflictException, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type AuditContext, isUniqueViolation } from '../../../database/src/index.js';
import type { SiteScope } from '../../../access/src/index.js';
import { RuleProblem } from '../../../observability/src/index.js';
import { assertUpdated, countingOnly, findPatient, PatientChanges } from '../../../registry/src/index.js';
import { APPOINTMENT_WRITTEN } from '../written.js';
import { addCalendarDays, londonDay, REGISTRY_TIME_ZONE, resolveLocalTime } from '../../../time/src/index.js';
import type { FollowUpVisit } from '../entities.js';
import { FollowUpPlanner, type PlanFollower, type PlanSettled } from '../visits/planner.js';
import type { NotRequiredReason } from '../rules/visits.js';
import type { BookAppointmentDto, MoveAppointmentDto } from './appointment.dto.js';
import type { Appointment, AppointmentStatus } from './appointment.entity.js';
import type { Reminder } from '../reminders/reminder.entity.js';
import {
  appointmentOf,
  BOOKED_APPOINTMENTS,
  bookedAppointments,
  insertAppointment,
  remindersOf,
  updateAppointment,
  visitOf,
} from './appointments.queries.js';

/** Attended or missed may be recorded from a few minutes before the start (a patient seen early). */
const OUTCOME_TOLERANCE_MS = 15 * 60_000;

/** How far outside its visit's window an appointment may be booked: clinics slip, but not by years. */
export const BOOKING_SLACK_DAYS = 365;
/** A visit not dated yet (its anchor is not known): booked no later than this many days from today. */
export const UNDATED_BOOKING_HORIZON_DAYS = 2 * 365;

type VisitWindow = Pick<FollowUpVisit, 'opensOn' | 'closesOn'>;

/** Why an appointment outside its visit's window needs a second look (it is booked all the same); or null. */
export function windowWarning(date: string, visit: VisitWindow): string | null {
  if (!visit.opensOn || !visit.closesOn) return null;
  const window = `the visit's window is ${visit.opensOn} to ${visit.closesOn}`;
  if (date < visit.opensOn) return `booked before the visit's window opens: ${window}`;
  if (date > visit.closesOn) return `booked after the visit's window closes: ${window}`;
  return null;
}

/** The days an appointment for the visit may fall on: its window give or take a year. */
export function bookableDays(visit: VisitWindow, today: string): { first: string; last: string } {
  return {
    first: visit.opensOn ? addCalendarDays(visit.opensOn, -BOOKING_SLACK_DAYS) : today,
    last: visit.closesOn
      ? addCalendarDays(visit.closesOn, BOOKING_SLACK_DAYS)
      : addCalendarDays(today, UNDATED_BOOKING_HORIZON_DAYS),
  };
}

function assertBookable(date: string, visit: VisitWindow, now: Date): void {
  const { first, last } = bookableDays(visit, londonDay(now));
  if (date > last || date < first) {
    throw new RuleProblem('The appointment is too far from its visit', [
      {
        field: 'date',
        reason: `must be from ${first} to ${last} (the visit's window give or take ${BOOKING_SLACK_DAYS} days)`,
      },
    ]);
  }
}

/** An appointment as answered. */
export interface AppointmentView {
  /** @format uuid */
  readonly id: string;
  /** @format uuid */
  readonly visitId: string;
  /** Local date in `zone`. @format date */
  readonly date: string;
  /** Local time (HH:MM) in `zone`. */
  readonly time: string;
  readonly zone: string;
  /** @format date-time */
  readonly startsAt: string;
  readonly mode: 'clinic' | 'telephone' | 'video';
  readonly place: string | null;
  readonly status: 'booked' | 'cancelled' | 'attended' | 'missed';
  readonly cancelReason: string | null;
  /** Set while a booked appointment falls outside its visit's window. */
  readonly warning: string | null;
  readonly version: number;
}

/** A reminder as the nurse sees it (never the address or number). */
export interface ReminderView {
  /** @format uuid */
  readonly id: string;
  readonly daysBefore: number;
  readonly channel: 'sms' | 'email';
  /** @format date-time */
  readonly dueAt: string;
  readonly status: 'pending' | 'sending' | 'sent' | 'failed' | 'unknown' | 'cancelled' | 'expired';
  readonly statusReason: string | null;
}

export interface AppointmentWithReminders extends AppointmentView {
  readonly reminders: readonly ReminderView[];
}

/** An appointment as the nurse sees it; with its visit, a warning when it falls outside the visit's window. */
export function appointmentView(a: Appointment, visit?: VisitWindow): AppointmentView {
  return {
    id: a.id,
    visitId: a.visitId,
    date: a.localDate,
    time: a.localTime,
    zone: a.zone,
    startsAt: a.startsAt.toISOString(),
    mode: a.mode,
    place: a.place,
    status: a.status,
    cancelReason: a.cancelReason,
    warning: visit && a.status === 'booked' ? windowWarning(a.localDate, visit) : null,
    version: a.version,
  };
}

/** A reminder as the nurse sees it: when, how and what became of it (never the address or number). */
export function reminderView(r: Reminder): ReminderView {
  return {
    id: r.id,
    daysBefore: r.daysBefore,
    channel: r.channel,
    dueAt: r.dueAt.toISOString(),
    status: r.status,
    statusReason: r.statusReason,
  };
}

/** An appointment with its reminders, newest plan last. */
export function appointmentWithReminders(
  a: Appointment,
  reminders: readonly Reminder[],
  visit?: VisitWindow,
): AppointmentWithReminders {
  return {
    ...appointmentView(a, visit),
    reminders: reminders
      .filter((r) => r.appointmentId === a.id)
      .sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || y.daysBefore - x.daysBefore)
      .map(reminderView),
  };
}

/**
 * The instant of a local date and time in the registry's zone: a time that does not exist (clocks go
 * forward) or happens twice (clocks go back) is refused with the reason, never guessed; so is a past one.
 */
function startsAt(date: string, time: string, now: Date): Date {
  const resolved = resolveLocalTime(date, time, REGISTRY_TIME_ZONE);
  if (!resolved.ok) {
    throw new RuleProblem('The appointment time is not a single moment', [
      { field: 'time', reason: resolved.reason },
    ]);
  }
  if (resolved.instant.getTime() < now.getTime()) {
    throw new RuleProblem('An appointment is booked ahead', [
      { field: 'date', reason: `${date} ${time} (${REGISTRY_TIME_ZONE}) is in the past` },
    ]);
  }
  return resolved.instant;
}

/**
 * Follow-up appointments (domain guide §4): booked for a visit that is scheduled or due, moved, cancelled,
 * recorded as attended or missed. Each change goes through the patient's change frame (patient row locked,
 * the visits replanned in the same transaction), so a booked visit shows `booked` and a missed appointment
 * leaves it `due` while its window is open.
 */
/** Why a visit is no longer required, as a cancelled appointment's reason says it. */
const NOT_REQUIRED_WORDS: Record<NotRequiredReason, string> = {
  death: 'the patient died',
  withdrawal: 'withdrawn from follow-up (level b)',
  declined: 'the patient declined',
  lost_to_follow_up: 'lost to follow-up',
  protocol_changed: 'moved to another protocol version',
  not_planned: 'no longer planned',
};

@Injectable()
export class FollowUpAppointments implements OnModuleInit, PlanFollower {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly planner: FollowUpPlanner,
  ) {}

  onModuleInit(): void {
    this.planner.addFactSource(async (em, patientId, reads) => {
      const booked = await bookedAppointments(em, patientId, reads);
      return { booked: new Set(booked.map((a) => a.visitId)) };
    });
    // First: the reminders then follow the appointments this cancels.
    this.planner.addFollower(this, { first: true });
  }

  /**
   * A visit no longer required (a death, a level (b) withdrawal, a decline, a change of plan) keeps no booked
   * appointment: each is cancelled in the change's transaction, under its actor (audited), with the reason
   * `visit not required: <why>`; the reminders' planner, which runs next, sees them cancelled.
   */
  async afterPlan(em: EntityManager, { patient, reads, visits }: PlanSettled): Promise<void> {
    const booked = await bookedAppointments(em, patient.id, reads);
    const ended = booked.filter((a) => visits.get(a.visitId)?.status === 'not_required');
    if (ended.length === 0) return;
    for (const appointment of ended) {
      const why = visits.get(appointment.visitId)?.reason ?? 'not_planned';
      assertUpdated(
        'The appointment',
        await updateAppointment(em, appointment.id, appointment.version, {
          status: 'cancelled',
          cancelReason: `visit not required: ${NOT_REQUIRED_WORDS[why]}`,
        }),
      );
    }
    reads.seed(
      BOOKED_APPOINTMENTS,
      patient.id,
      booked.filter((a) => !ended.includes(a)),
    );
  }

  async find(em: EntityManager, patientId: string, id: string): Promise<Appointment> {
    const appointment = await appointmentOf(em, patientId, id);
    if (!appointment) throw new NotFoundException('The appointment was not found');
    return appointment;
  }

  async get(scope: SiteScope, patientId: string, id: string) {
    const patient = await findPatient(this.dataSource.manager, scope, patientId);
    if (patient.countingOnlySince) throw countingOnly();
    return this.view(patient.id, id);
  }

  /** The appointment as committed, with its reminders. */
  async view(patientId: string, id: string) {
    const em = this.dataSource.manager;
    const appointment = await this.find(em, patientId, id);
    const reminders = await remindersOf(em, id);
    return appointmentWithReminders(
      appointment,
      reminders,
      await visitOf(em, patientId, appointment.visitId),
    );
  }
}

@Injectable()
export class AppointmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: PatientChanges,
    private readonly appointments: FollowUpAppointments,
  ) {}

  async book(scope: SiteScope, patientId: string, dto: BookAppointmentDto, context: AuditContext) {
    const instant = startsAt(dto.date, dto.time, new Date());
    try {
      const id = await this.changes.changeRecord(
        APPOINTMENT_WRITTEN,
        scope,
        patientId,
        context,
        async (em) => {
          const visit = await visitOf(em, patientId, dto.visitId);
          if (!visit) {
            throw new RuleProblem('No such visit', [
              { field: 'visitId', reason: 'is not a follow-up visit of this patient' },
            ]);
          }
          if (visit.status === 'booked') {
            throw new ConflictException('The visit already has a booked appointment: move it instead');
          }
          if (visit.status !== 'scheduled' && visit.status !== 'due') {
            throw new ConflictException(
              `The visit is ${visit.status.replaceAll('_', ' ')}: only a scheduled or due visit is booked`,
            );
          }
          assertBookable(dto.date, visit, new Date());
          return insertAppointment(em, {
            patientId,
            visitId: visit.id,
            localDate: dto.date,
            localTime: dto.time,
            zone: REGISTRY_TIME_ZONE,
            startsAt: instant,
            mode: dto.mode,
            place: dto.place ?? null,
            status: 'booked',
            cancelReason: null,
            version: 1,
          });
        },
      );
      return this.appointments.view(patientId, id);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException('The visit already has a booked appointment: move it instead');
      }
      throw error;
    }
  }

  /** A move: the same appointment at a new local date and time (or mode, place); If-Match and a reason. */
  async move(
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    dto: MoveAppointmentDto,
    context: AuditContext,
  ) {
    await this.changes.changeRecord(
      APPOINTMENT_WRITTEN,
      scope,
      patientId,
      { ...context, reason: dto.reason },
      async (em) => {
        const current = await this.booked(em, patientId, id, 'moved');
        const date = dto.date ?? current.localDate;
        const time = dto.time ?? current.localTime;
        const set: Partial<Appointment> = { localDate: date, localTime: time };
        if (dto.date !== undefined) {
          const visit = await visitOf(em, patientId, current.visitId);
          if (visit) assertBookable(date, visit, new Date());
        }
        if (dto.date !== undefined || dto.time !== undefined) set.startsAt = startsAt(date, time, new Date());
        if (dto.mode !== undefined) set.mode = dto.mode;
        if (dto.place !== undefined) set.place = dto.place;
        await this.update(em, id, version, set);
      },
    );
    return this.appointments.view(patientId, id);
  }

  async cancel(
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    reason: string,
    context: AuditContext,
  ) {
    await this.changes.changeRecord(
      APPOINTMENT_WRITTEN,
      scope,
      patientId,
      { ...context, reason },
      async (em) => {
        await this.booked(em, patientId, id, 'cancelled');
        await this.update(em, id, version, { status: 'cancelled', cancelReason: reason });
      },
    );
    return this.appointments.view(patientId, id);
  }

  /** Attended or missed (a no-show): recorded once the appointment has started. */
  async record(
    scope: SiteScope,
    patientId: string,
    id: string,
    version: number,
    outcome: Extract<AppointmentStatus, 'attended' | 'missed'>,
    context: AuditContext,
  ) {
    await this.changes.changeRecord(APPOINTMENT_WRITTEN, scope, patientId, context, async (em) => {
      const current = await this.booked(em, patientId, id, `recorded as ${outcome}`);
      if (current.startsAt.getTime() > Date.now() + OUTCOME_TOLERANCE_MS) {
        throw new ConflictException(
          `The appointment is on ${current.localDate} at ${current.localTime}: it cannot be recorded as ${outcome} before it starts`,
        );
      }
      await this.update(em, id, version, { status: outcome });
    });
    return this.appointments.view(patientId, id);
  }

  private async booked(em: EntityManager, patientId: string, id: string, what: string) {
    const current = await this.appointments.find(em, patientId, id);
    if (current.status !== 'booked') {
      throw new ConflictException(`The appointment is ${current.status}: only a booked one can be ${what}`);
    }
    return current;
  }

  private async update(em: EntityManager, id: string, version: number, set: Partial<Appointment>) {
    assertUpdated('The appointment', await updateAppointment(em, id, version, set));
  }
}
