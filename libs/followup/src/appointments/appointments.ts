import { ConflictException, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type AuditContext, isUniqueViolation } from '../../../database/src/index.js';
import type { SiteScope } from '../../../access/src/index.js';
import { RuleProblem } from '../../../observability/src/index.js';
import { assertUpdated, countingOnly, findPatient, PatientChanges } from '../../../registry/src/index.js';
import { APPOINTMENT_WRITTEN } from '../written.js';
import { REGISTRY_TIME_ZONE, resolveLocalTime } from '../../../time/src/index.js';
import { FollowUpPlanner } from '../visits/planner.js';
import type { BookAppointmentDto, MoveAppointmentDto } from './appointment.dto.js';
import type { Appointment, AppointmentStatus } from './appointment.entity.js';
import type { Reminder } from '../reminders/reminder.entity.js';
import {
  appointmentOf,
  bookedAppointments,
  insertAppointment,
  remindersOf,
  updateAppointment,
  visitOf,
} from './appointments.queries.js';

/** Attended or missed may be recorded from a few minutes before the start (a patient seen early). */
const OUTCOME_TOLERANCE_MS = 15 * 60_000;

export function appointmentView(a: Appointment) {
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
    version: a.version,
  };
}

/** A reminder as the nurse sees it: when, how and what became of it (never the address or number). */
export function reminderView(r: Reminder) {
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
export function appointmentWithReminders(a: Appointment, reminders: readonly Reminder[]) {
  return {
    ...appointmentView(a),
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
@Injectable()
export class FollowUpAppointments implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly planner: FollowUpPlanner,
  ) {}

  onModuleInit(): void {
    this.planner.addFactSource(async (em, patientId, reads) => {
      const booked = await bookedAppointments(em, patientId, reads);
      return { booked: new Set(booked.map((a) => a.visitId)) };
    });
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
    return appointmentWithReminders(appointment, reminders);
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
