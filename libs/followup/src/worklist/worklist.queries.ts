import type { EntityManager } from 'typeorm';
import { PATIENT_REFS } from '../../../registry/src/index.js';

/**
 * The worklist's statements (one per section, read in one REPEATABLE READ snapshot) and the nurses' digest
 * ledger's (`nurse_digest`, unique per site, day and nurse).
 */

/** The patient an item is about: the registry ID only (the worklist carries no name, number or address). */
interface PatientRef {
  readonly patientId: string;
  readonly registryId: string;
  /** Withdrawn from contact (level a): the visit is completed from records, the patient is not called. */
  readonly contactWithdrawn: boolean;
}

export interface VisitRef extends PatientRef {
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

type Row = Record<string, unknown>;

const PATIENT_COLUMNS = `p.id AS "patientId", p.registry_id AS "registryId",
  p.contact_withdrawn_at IS NOT NULL AS "contactWithdrawn"`;
const VISIT_COLUMNS = `${PATIENT_COLUMNS}, v.id AS "visitId", v.code AS "visitCode", v.label AS "visitLabel",
  v.due_on::text AS "dueOn", v.opens_on::text AS "opensOn", v.closes_on::text AS "closesOn"`;
const APPOINTMENT_COLUMNS = `${VISIT_COLUMNS}, a.id AS "appointmentId", a.local_date::text AS "localDate",
  a.local_time AS "localTime", a.mode, a.place`;

async function items<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  return (await em.query<Row[]>(sql, params)) as T[];
}

// The worklist, each section in the order a nurse works through it, the most urgent first.

/** Makes the worklist's snapshot read only (its first statement). */
export async function readOnly(em: EntityManager): Promise<void> {
  await em.query('SET TRANSACTION READ ONLY');
}

/** Visits of the site whose window is open with nothing booked, but those whose appointment was missed. */
export function dueWithoutAppointment(em: EntityManager, siteId: string): Promise<VisitRef[]> {
  return items<VisitRef>(
    em,
    `SELECT ${VISIT_COLUMNS}
           FROM follow_up_visit v JOIN ${PATIENT_REFS} p ON p.id = v.patient_id
          WHERE p.site_id = $1 AND v.status = 'due'
            AND NOT EXISTS (SELECT 1 FROM appointment a WHERE a.visit_id = v.id AND a.status = 'missed')
          ORDER BY v.closes_on, p.registry_id, v.sequence`,
    [siteId],
  );
}

/** Booked appointments of the site from `first` to `last` (London days, both included). */
export function appointmentsBetween(
  em: EntityManager,
  siteId: string,
  first: string,
  last: string,
): Promise<AppointmentRef[]> {
  return items<AppointmentRef>(
    em,
    `SELECT ${APPOINTMENT_COLUMNS}
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.status = 'booked' AND a.local_date BETWEEN $2::date AND $3::date
            AND v.status <> 'not_required'
          ORDER BY a.starts_at, p.registry_id`,
    [siteId, first, last],
  );
}

/**
 * The site's appointments from `first` to `last` (London days, both included), any status or the one given:
 * a clinic list, by start.
 */
export function appointmentsOfSite(
  em: EntityManager,
  siteId: string,
  first: string,
  last: string,
  status: string | null,
): Promise<Array<AppointmentRef & { status: 'booked' | 'cancelled' | 'attended' | 'missed' }>> {
  return items<AppointmentRef & { status: 'booked' | 'cancelled' | 'attended' | 'missed' }>(
    em,
    `SELECT ${APPOINTMENT_COLUMNS}, a.status
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.local_date BETWEEN $2::date AND $3::date AND ($4::text IS NULL OR a.status = $4)
          ORDER BY a.starts_at, p.registry_id`,
    [siteId, first, last, status],
  );
}

/** Booked appointments of the site outside their visit's window (clinics slip): to check, or to move. */
export function bookedOutsideWindow(em: EntityManager, siteId: string): Promise<AppointmentRef[]> {
  return items<AppointmentRef>(
    em,
    `SELECT ${APPOINTMENT_COLUMNS}
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.status = 'booked' AND v.status <> 'not_required'
            AND (a.local_date < v.opens_on OR a.local_date > v.closes_on)
          ORDER BY a.starts_at, p.registry_id`,
    [siteId],
  );
}

/** Booked appointments of the site that started by `now`, neither attended nor missed recorded. */
export function outcomesToRecord(em: EntityManager, siteId: string, now: Date): Promise<AppointmentRef[]> {
  return items<AppointmentRef>(
    em,
    `SELECT ${APPOINTMENT_COLUMNS}
           FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
          WHERE p.site_id = $1 AND a.status = 'booked' AND a.starts_at <= $2 AND v.status <> 'not_required'
          ORDER BY a.starts_at, p.registry_id`,
    [siteId, now],
  );
}

/** Missed visits of the site's patients whose follow-up goes on. */
export function overdueVisits(em: EntityManager, siteId: string): Promise<VisitRef[]> {
  return items<VisitRef>(
    em,
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
  );
}

export function missedAppointments(em: EntityManager, siteId: string): Promise<AppointmentRef[]> {
  return items<AppointmentRef>(
    em,
    // The latest no-show of each visit still due (window open, not booked again).
    `SELECT * FROM (
           SELECT DISTINCT ON (v.id) ${APPOINTMENT_COLUMNS}
             FROM appointment a JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = a.patient_id
            WHERE p.site_id = $1 AND a.status = 'missed' AND v.status = 'due'
            ORDER BY v.id, a.starts_at DESC) latest
          ORDER BY "closesOn", "registryId"`,
    [siteId],
  );
}

/** Reminders of the site's appointments still ahead of `now` that failed or whose delivery is unknown. */
export function failedReminders(em: EntityManager, siteId: string, now: Date): Promise<ReminderItem[]> {
  return items<ReminderItem>(
    em,
    `SELECT ${APPOINTMENT_COLUMNS}, r.id AS "reminderId", r.days_before AS "daysBefore", r.channel,
                r.status, r.status_reason AS reason
           FROM reminder r JOIN appointment a ON a.id = r.appointment_id
           JOIN follow_up_visit v ON v.id = a.visit_id JOIN ${PATIENT_REFS} p ON p.id = r.patient_id
          WHERE p.site_id = $1 AND r.status IN ('failed', 'unknown')
            AND a.status = 'booked' AND a.starts_at > $2
          ORDER BY a.starts_at, p.registry_id, r.days_before DESC`,
    [siteId, now],
  );
}

// The nurses' digest ledger.

/** Tries of a digest the provider certainly did not take (one per run of the job). */
const MAX_ATTEMPTS = 3;

/** The nurses of the site whose digest of `day` is sent, on its way, or given up on. */
export function digestsDone(
  em: EntityManager,
  siteId: string,
  day: string,
): Promise<Array<{ user_id: string }>> {
  return em.query<Array<{ user_id: string }>>(
    `SELECT user_id FROM nurse_digest
        WHERE site_id = $1 AND digest_on = $2 AND NOT (status = 'not_sent' AND attempts < ${MAX_ATTEMPTS})`,
    [siteId, day],
  );
}

/** The day of the site's latest digest before `today`, if any. */
export async function previousDigestDay(
  em: EntityManager,
  siteId: string,
  today: string,
): Promise<string | null> {
  const [previous] = await em.query<Array<{ day: string | null }>>(
    `SELECT max(digest_on)::text AS day FROM nurse_digest WHERE site_id = $1 AND digest_on < $2`,
    [siteId, today],
  );
  return previous?.day ?? null;
}

/** The ledger row, inserted (or a `not_sent` one taken again) before the provider is called; null if taken. */
export async function claimDigest(
  em: EntityManager,
  siteId: string,
  userId: string,
  today: string,
  provider: string,
  now: Date,
): Promise<string | null> {
  const rows = await em.query<Array<{ id: string }>>(
    `INSERT INTO nurse_digest (site_id, user_id, digest_on, status, provider, claimed_at)
         VALUES ($1, $2, $3, 'sending', $4, $5)
         ON CONFLICT (site_id, digest_on, user_id) DO UPDATE
           SET status = 'sending', attempts = nurse_digest.attempts + 1, provider = EXCLUDED.provider,
               claimed_at = EXCLUDED.claimed_at, detail = NULL
         WHERE nurse_digest.status = 'not_sent' AND nurse_digest.attempts < ${MAX_ATTEMPTS}
         RETURNING id`,
    [siteId, userId, today, provider, now],
  );
  return rows[0]?.id ?? null;
}

/** Records what became of a digest. */
export async function settleDigest(
  em: EntityManager,
  digestId: string,
  status: 'sent' | 'failed' | 'not_sent' | 'unknown',
  providerRef: string | null,
  detail: string | null,
  now: Date,
): Promise<void> {
  await em.query(
    `UPDATE nurse_digest SET status = $2, provider_ref = $3, detail = $4, settled_at = $5 WHERE id = $1`,
    [digestId, status, providerRef, detail, now],
  );
}

/** Claims made before `claimedBefore` and never settled (a crash) become `unknown`: never sent twice. */
export async function settleAbandonedDigests(
  em: EntityManager,
  claimedBefore: Date,
  now: Date,
): Promise<void> {
  await em.query(
    `UPDATE nurse_digest SET status = 'unknown', detail = 'interrupted', settled_at = $2
          WHERE status = 'sending' AND claimed_at < $1`,
    [claimedBefore, now],
  );
}
