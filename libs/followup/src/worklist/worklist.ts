import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { findSite, SiteScope } from '../../../access/src/index.js';
import { addCalendarDays, Clock, londonDay } from '../../../time/src/index.js';
import { RuleProblem } from '../../../observability/src/index.js';
import {
  consentToSeek,
  incompleteRecords,
  inpatientsWithoutOutcome,
  type ConsentToSeekItem,
  type IncompleteRecordItem,
  type InpatientItem,
} from '../../../registry/src/index.js';
import {
  appointmentsBetween,
  appointmentsOfSite,
  bookedOutsideWindow,
  dueWithoutAppointment,
  failedReminders,
  missedAppointments,
  outcomesToRecord,
  overdueVisits,
  readOnly,
  type AppointmentRef,
  type ReminderItem,
  type VisitRef,
} from './worklist.queries.js';

export type { AppointmentRef, ReminderItem } from './worklist.queries.js';

/** The longest clinic list, in days (a quarter): enough for any clinic's planning, bounded for the server. */
export const CLINIC_LIST_MAX_DAYS = 92;

/** Days the "appointments this week" list looks ahead, today included. */
const WEEK_DAYS = 7;

/** A section of the worklist: how many, and each item. */
interface Section<T> {
  readonly count: number;
  readonly items: T[];
}

/** An appointment of a site's clinic list. */
export interface ClinicListItem extends AppointmentRef {
  readonly status: 'booked' | 'cancelled' | 'attended' | 'missed';
}

export interface Worklist {
  readonly site: { readonly id: string; readonly code: string; readonly name: string };
  /** The London day the lists are for. */
  readonly today: string;
  readonly generatedAt: string;
  /** Window open, nothing booked (a visit whose appointment was missed is under `missedAppointments`). */
  readonly dueWithoutAppointment: Section<VisitRef>;
  /** Booked for today or the 6 days after it. */
  readonly appointmentsThisWeek: Section<AppointmentRef>;
  /** Booked outside their visit's window (allowed: clinics slip), to check or move. */
  readonly bookedOutsideWindow: Section<AppointmentRef>;
  /** Booked appointments whose start has passed with neither attended nor missed recorded. */
  readonly outcomesToRecord: Section<AppointmentRef>;
  /** Window closed without a completed visit, while the patient's follow-up goes on. */
  readonly overdueVisits: Section<VisitRef>;
  /** No-shows whose visit is still due and not booked again: to rebook. */
  readonly missedAppointments: Section<AppointmentRef>;
  /** Reminders of appointments still ahead that failed or whose delivery is unknown: to tell the patient. */
  readonly reminders: Section<ReminderItem>;
  /** The patient's own consent still to be sought (enrolled in an emergency, or on a consultee's advice). */
  readonly consentToSeek: Section<ConsentToSeekItem>;
  /** No hospital outcome recorded yet: still in hospital, or the discharge or death to record. */
  readonly inpatientsWithoutOutcome: Section<InpatientItem>;
  /** Records lacking expected fields with no missing reason: to complete, or to say why not. */
  readonly incompleteRecords: Section<IncompleteRecordItem>;
}

/**
 * The nurses' worklist of a site (domain guide §4), computed from the database as it stands, so it is never
 * out of date and needs no acknowledging: an item leaves the list when the nurse does what it asks (books,
 * records the visit, declares the patient lost to follow-up) or when it stops mattering (the appointment is
 * past). Each list is in the order a nurse works through it, the most urgent first.
 */
@Injectable()
export class WorklistService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The worklist of a site the caller may see (404 for another site, as for a missing one). */
  async forSite(scope: SiteScope, siteId: string): Promise<Worklist> {
    scope.assertIncludes(siteId, 'Site');
    return this.snapshot(siteId, this.clock.now());
  }

  /** A site's clinic list: its appointments on the London days `from` to `to`, by start. */
  async appointments(
    scope: SiteScope,
    siteId: string,
    from: string,
    to: string,
    status: string | null,
  ): Promise<ClinicListItem[]> {
    scope.assertIncludes(siteId, 'Site');
    if (to < from) {
      throw new RuleProblem('The clinic list runs forward', [
        { field: 'to', reason: `is before from (${from})` },
      ]);
    }
    if (to > addCalendarDays(from, CLINIC_LIST_MAX_DAYS - 1)) {
      throw new RuleProblem('The clinic list is too long', [
        { field: 'to', reason: `must be within ${CLINIC_LIST_MAX_DAYS} days of from (${from})` },
      ]);
    }
    return appointmentsOfSite(this.dataSource.manager, siteId, from, to, status);
  }

  /** One consistent snapshot (REPEATABLE READ, read only), so the counts of the sections add up. */
  snapshot(siteId: string, now: Date): Promise<Worklist> {
    return this.dataSource.transaction('REPEATABLE READ', (em) => this.build(em, siteId, now));
  }

  private async build(em: EntityManager, siteId: string, now: Date): Promise<Worklist> {
    await readOnly(em);
    const found = await findSite(em, siteId);
    if (!found) throw new NotFoundException('Site not found');
    const site = { id: found.id, code: found.code, name: found.name };
    const today = londonDay(now);
    const section = <T>(items: T[]): Section<T> => ({ count: items.length, items });
    return {
      site,
      today,
      generatedAt: now.toISOString(),
      dueWithoutAppointment: section(await dueWithoutAppointment(em, siteId)),
      appointmentsThisWeek: section(
        await appointmentsBetween(em, siteId, today, addCalendarDays(today, WEEK_DAYS - 1)),
      ),
      bookedOutsideWindow: section(await bookedOutsideWindow(em, siteId)),
      outcomesToRecord: section(await outcomesToRecord(em, siteId, now)),
      overdueVisits: section(await overdueVisits(em, siteId)),
      missedAppointments: section(await missedAppointments(em, siteId)),
      reminders: section(await failedReminders(em, siteId, now)),
      consentToSeek: section(await consentToSeek(em, siteId)),
      inpatientsWithoutOutcome: section(await inpatientsWithoutOutcome(em, siteId)),
      incompleteRecords: section(await incompleteRecords(em, siteId)),
    };
  }
}
