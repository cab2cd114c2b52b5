import type { EntityManager } from 'typeorm';
import { EntityRows } from '../../../database/src/index.js';
import { FollowUpProtocol, FollowUpVisit } from '../entities.js';
import type { NotRequiredReason, VisitStatus } from '../rules/visits.js';

/**
 * The visits' statements: the planner's (a hot path, run inside every change to a patient: its read and
 * its insert of the visits are hand-written, prepared statements) and the clock's.
 */

// The planner.

/** The latest published protocol version. */
export async function latestProtocolVersion(em: EntityManager): Promise<number> {
  const [{ latest }] = await em.query<Array<{ latest: number }>>(
    `SELECT max(version) AS latest FROM follow_up_protocol`,
  );
  return latest;
}

export function publishedProtocol(em: EntityManager, version: number): Promise<FollowUpProtocol> {
  return em.findOneByOrFail(FollowUpProtocol, { version });
}

/** Every visit of the patient's, of every protocol version, in no order. */
export function visitsOf(em: EntityManager, patientId: string): Promise<FollowUpVisit[]> {
  return EntityRows.of(em, FollowUpVisit).where(em, 'patient_id = $1', [patientId]);
}

/** The new visits in one statement (none: no statement). */
export async function insertVisits(
  em: EntityManager,
  visits: readonly Partial<FollowUpVisit>[],
): Promise<void> {
  await EntityRows.of(em, FollowUpVisit).insert(em, visits);
}

/** What the planner may change of a visit. */
export type VisitChange = Partial<
  Pick<FollowUpVisit, 'label' | 'sequence' | 'anchor' | 'dueOn' | 'opensOn' | 'closesOn'>
> & {
  status: VisitStatus;
  statusReason: NotRequiredReason | null;
};

/** Writes what changed of a visit, at its next version. */
export async function updateVisit(em: EntityManager, id: string, next: VisitChange): Promise<void> {
  await em
    .createQueryBuilder()
    .update(FollowUpVisit)
    .set({ ...next, version: () => 'version + 1' })
    .where('id = :id', { id })
    .execute();
}

// The clock.

/** Patients replanned per transaction batch: small, so a patient row is never locked for long. */
const BATCH = 200;

/**
 * The next batch of patients with a visit whose window opened (`scheduled`) or closed (`due`) by `today`, but
 * those already replanned (`done`). A `booked` visit stays booked past its window (a clinic that slipped)
 * until its appointment's outcome is recorded, a change that replans it: the clock leaves it alone.
 */
export function patientsWithVisitsToMove(
  em: EntityManager,
  today: string,
  done: ReadonlySet<string>,
): Promise<Array<{ patient_id: string }>> {
  return em.query<Array<{ patient_id: string }>>(
    `SELECT DISTINCT patient_id FROM follow_up_visit
          WHERE ((status = 'scheduled' AND opens_on <= $1) OR (status = 'due' AND closes_on < $1))
            AND NOT (patient_id = ANY($2::uuid[]))
          LIMIT ${BATCH}`,
    [today, [...done]],
  );
}
