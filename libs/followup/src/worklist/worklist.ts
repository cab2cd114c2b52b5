import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { findSite, SiteScope } from '../../../access/src/index.js';
import { addCalendarDays, Clock, londonDay } from '../../../time/src/index.js';
import { PATIENT_REFS } from '../../../registry/src/index.js';

/** Days the "appointments this week" list looks ahead, today included. */
const WEEK_DAYS = 7;

/** The patient an item is about: the registry ID only (the worklist carries no name, number or address). */
interface PatientRef {
  readonly patientId: string;
  readonly registryId: string;
  /** Withdrawn from contact (level a): the visit is completed from records, the patient is not called. */
  readonly contactWithdrawn: boolean;
}

interface VisitRef extends PatientRef {
  readonly visitId: string;
  readonly visitCode: string;
  readonly visitLabel: string;
  readonly dueOn: string;
  readonly opensOn: string;
  readonly closesOn: string;
}

export interface AppointmentRef extends VisitRef {
  readonly appointmentId: string;
  readonly localDate: string;
  readonly localTime: string;
  readonly mode: string;
  readonly place: string | null;
}

export interface ReminderItem extends AppointmentRef {
  readonly reminderId: string;
  readonly daysBefore: number;
  readonly channel: string;
  readonly status: 'failed' | 'unknown';
  readonly reason: string | null;
}

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
  /** Booked appointments whose start has passed with neither attended nor missed recorded. */
  readonly outcomesToRecord: Section<AppointmentRef>;
  /** Window closed without a completed visit, while the patient's follow-up goes on. */
  readonly overdueVisits: Section<VisitRef>;
  /** No-shows whose visit is still due and not booked again: to rebook. */
  readonly missedAppointments: Section<AppointmentRef>;
  /** Reminders of appointments still ahead that failed or whose delivery is unknown: to tell the patient. */
  readonly reminders: Section<ReminderItem>;
}

type Row = Record<string, unknown>;

const PATIENT_COLUMNS = `p.id AS "patientId", p.registry_id AS "registryId",
  p.contact_withdrawn_at IS NOT NULL AS "contactWithdrawn"`;
const VISIT_COLUMNS = `${PATIENT_COLUMNS}, v.id AS "visitId", v.code AS "visitCode", v.label AS "visitLabel",
  v.due_on::text AS "dueOn", v.opens_on::text AS "opensOn", v.closes_on::text AS "closesOn"`;
const APPOINTMENT_COLUMNS = `${VISIT_COLUMNS}, a.id AS "appointmentId", a.local_date::text AS "localDate",
  a.local_time AS "localTime", a.mode, a.place`;

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
    await em.query('SET TRANSACTION READ ONLY');
    const found = await findSite(em, siteId);
    if (!found) throw new NotFoundException('Site not found');
    const site = { id: found.id, code: found.code, name: found.name };
    const today = londonDay(now);
    const section = async <T>(sql: string, params: unknown[]): Promise<Section<T>> => {
      const items = (await em.query<Row[]>(sql, params)) as T[];
      return { count: items.length, items };
    };
    return {
      site,
      today,
      generatedAt: now.toISOString(),
      dueWithoutAppointment: await section<VisitRef>(
        `SELECT ${VISIT_COLUMNS}
           FROM follow_up_visit v JOIN ${PATIENT_REFS} p ON p.id = v.patient_id
          WHERE p.site_id = $1 AND v.status = 'due'
            AND NOT EXISTS (SELECT 1 FROM appointment a WHERE a.visit_id = v.id AND a.status = 'missed')
          ORDER BY v.closes_on, p.registry_id, v.sequence`,
        [siteId],
      ),
      appointmentsThisWeek: await section<AppointmentRef>(
        `SELECT ${APPOINTMENT_COLUMNS}
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.status = 'booked' AND a.local_date BETWEEN $2::date AND $3::date
          ORDER BY a.starts_at, p.registry_id`,
        [siteId, today, addCalendarDays(today, WEEK_DAYS - 1)],
      ),
      outcomesToRecord: await section<AppointmentRef>(
        `SELECT ${APPOINTMENT_COLUMNS}
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.status = 'booked' AND a.starts_at <= $2
          ORDER BY a.starts_at, p.registry_id`,
        [siteId, now],
      ),
      overdueVisits: await section<VisitRef>(
        // A visit missed before the patient's follow-up ended (death, withdrawal at level b, a decline, lost
        // to follow-up) is history, not work: those patients' visits after the end say why.
        `SELECT ${VISIT_COLUMNS}
           FROM follow_up_visit v JOIN ${PATIENT_REFS} p ON p.id = v.patient_id
          WHERE p.site_id = $1 AND v.status = 'missed'
            AND p.lost_to_follow_up_on IS NULL AND p.data_collection_withdrawn_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM follow_up_visit e
                             WHERE e.patient_id = v.patient_id AND e.status_reason IN ('death', 'withdrawal', 'declined'))
          ORDER BY v.closes_on, p.registry_id, v.sequence`,
        [siteId],
      ),
      missedAppointments: await section<AppointmentRef>(
        // The latest no-show of each visit still due (window open, not booked again).
        `SELECT * FROM (
           SELECT DISTINCT ON (v.id) ${APPOINTMENT_COLUMNS}
             FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
            WHERE p.site_id = $1 AND a.status = 'missed' AND v.status = 'due'
            ORDER BY v.id, a.starts_at DESC) latest
          ORDER BY "closesOn", "registryId"`,
        [siteId],
      ),
      reminders: await section<ReminderItem>(
        `SELECT ${APPOINTMENT_COLUMNS}, r.id AS "reminderId", r.days_before AS "daysBefore", r.channel,
                r.status, r.status_reason AS reason
           FROM reminder r JOIN appointment a ON a.id = r.appointment_id
           JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = r.patient_id
          WHERE p.site_id = $1 AND r.status IN ('failed', 'unknown')
            AND a.status = 'booked' AND a.starts_at > $2
          ORDER BY a.starts_at, p.registry_id, r.days_before DESC`,
        [siteId, now],
      ),
    };
  }
}
