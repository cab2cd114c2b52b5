import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { findSite, SiteScope } from '../../../access/src/index.js';
import { addCalendarDays, Clock, londonDay } from '../../../time/src/index.js';
import {
  appointmentsBetween,
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

/** Days the "appointments this week" list looks ahead, today included. */
const WEEK_DAYS = 7;

/** A section of the worklist: how many, and each item. */
interface Section<T> {
  readonly count: number;
  readonly items: T[];
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
    };
  }
}
