import type { FollowUpAssessment } from '../../libs/followup/src/assessments/assessment.entity.js';
import type { FollowUpVisit } from '../../libs/followup/src/entities.js';
import { assessmentProblems, followUpDeathOn } from '../../libs/followup/src/rules/assessments.js';
import { addCalendarDays } from '../../libs/time/src/local-time.js';
import {
  plannedVisits,
  visitDates,
  visitState,
  type ProtocolVisit,
} from '../../libs/followup/src/rules/visits.js';
import { anchorsOf, endsOf } from '../../libs/followup/src/visits/planner.js';
import type { Patient } from '../../libs/registry/src/patients/entities.js';
import { londonDay } from '../../libs/time/src/instant.js';
import { datedAfterWithdrawal, deathInstant } from '../../libs/registry/src/rules/timeline.js';
import { mulberry32 } from '../../libs/registry/src/synthetic/cohort.js';
import { type PatientRecords } from '../../libs/registry/src/index.js';

/** A row as written: every column but the two the database stamps (created_at, updated_at). */
export type Row<E> = Omit<E, 'createdAt' | 'updatedAt'>;
export type VisitRow = Row<FollowUpVisit>;
export type AssessmentRow = Row<FollowUpAssessment>;

/** The published protocol version the patients are planned on (the latest, as the planner picks at enrolment). */
export interface ProtocolVersion {
  readonly version: number;
  readonly visits: readonly ProtocolVisit[];
}

/** What the synthetic cohort does not draw and follow-up needs (targets, not literature-exact). */
export const FOLLOW_UP_RATES = {
  /** Patients discharged alive who die within two years of the discharge (recorded at the next visit). */
  deathWithinTwoYears: 0.12,
  /** Telephone or video assessments without an EQ VAS (the patient cannot see the scale). */
  remoteWithoutVas: 0.3,
} as const;

/** Seeded draws for one patient's follow-up, independent of the cohort's own (which stay untouched). */
export class Draws {
  private readonly next: () => number;

  constructor(seed: number, index: number) {
    // murmur3's finaliser over the seed and index, with constants other than the cohort's.
    let h = Math.imul(seed ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(index + 1, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    h = Math.imul(h, 0x297a2d39);
    h ^= h >>> 15;
    this.next = mulberry32(h >>> 0);
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let x = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      x -= weight;
      if (x < 0) return key;
    }
    return entries.filter(([, w]) => w > 0).at(-1)![0];
  }

  /** A calendar day from `first` to `last` inclusive (`YYYY-MM-DD`). */
  day(first: string, last: string): string {
    const span = Math.round(
      (Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86_400_000,
    );
    return addCalendarDays(first, this.int(0, Math.max(0, span)));
  }
}

/** The patient's columns the follow-up depends on. */
export type FollowUpPatient = Pick<
  Patient,
  | 'id'
  | 'ageAtEcmoStart'
  | 'extendedFollowUp'
  | 'countingOnlySince'
  | 'contactWithdrawnAt'
  | 'dataCollectionWithdrawnAt'
  | 'lostToFollowUpOn'
>;

export interface FollowUpInput {
  readonly patient: FollowUpPatient;
  readonly records: PatientRecords;
  readonly protocol: ProtocolVersion;
  /** The London day of the generator's `now`: windows closed before it are past. */
  readonly today: string;
  /** Record assessments for past windows (else visits only, as the services leave them). */
  readonly assess: boolean;
  readonly draw: Draws;
  readonly newId: () => string;
}

export interface FollowUp {
  readonly visits: VisitRow[];
  readonly assessments: AssessmentRow[];
  /** The day of a death recorded at follow-up, if any. */
  readonly deathOn: string | null;
}

const level = (draw: Draws): number => Number(draw.weighted({ '1': 50, '2': 30, '3': 13, '4': 5, '5': 2 }));

/**
 * The follow-up the registry would hold for one patient: the visits the planner plans (the same rule
 * functions, `anchorsOf`, `plannedVisits`, `visitDates`, `visitState`, `endsOf`, so that its replan changes
 * nothing) and, for a patient discharged alive, one live assessment per visit whose window closed before
 * `today`, which completes it:
 * - a level (b) withdrawal stops assessments: only visits whose window closed before its day are assessed,
 *   the others become `not_required` (withdrawal) as the planner says;
 * - a few patients die within two years of the discharge: the first visit whose window closes on or after
 *   the death records it (vital status dead, the day and cause, mRS 6), on or after the death and within the
 *   window; visits after it become `not_required` (death). A death that the next visit would only record
 *   after `today` is not known yet (the patient stays alive in the registry);
 * - after a level (a) withdrawal (no contact) assessments come from the records.
 * Throws when the result would break the services' assessment rules (a generator bug, never data).
 */
export function planFollowUp(input: FollowUpInput): FollowUp {
  const { patient, records, protocol, today, draw } = input;
  const anchors = anchorsOf(records);
  const planned = plannedVisits(protocol.visits, anchors, patient.extendedFollowUp);
  if (planned.length === 0) return { visits: [], assessments: [], deathOn: null };
  const visits = planned.map((definition) => ({
    definition,
    id: input.newId(),
    sequence: protocol.visits.indexOf(definition) + 1,
    dates: visitDates(definition, anchors),
  }));

  const assessments: AssessmentRow[] = [];
  const dischargeOn = records.outcome?.kind === 'discharge' ? londonDay(records.outcome.occurredAt) : null;
  if (input.assess && dischargeOn !== null && patient.countingOnlySince === null) {
    const withdrawnOn = patient.dataCollectionWithdrawnAt
      ? londonDay(patient.dataCollectionWithdrawnAt)
      : null;
    const contactUntil = patient.contactWithdrawnAt ? londonDay(patient.contactWithdrawnAt) : null;
    const dies = withdrawnOn === null && draw.chance(FOLLOW_UP_RATES.deathWithinTwoYears);
    const deathOn = dies ? addCalendarDays(dischargeOn, draw.int(1, 730)) : null;
    let deathRecorded = false;
    const dated = visits.flatMap((v) => {
      const { opensOn, closesOn } = v.dates;
      return opensOn !== null && closesOn !== null
        ? [{ id: v.id, sequence: v.sequence, opensOn, closesOn }]
        : [];
    });
    dated.sort((a, b) => a.closesOn.localeCompare(b.closesOn) || a.sequence - b.sequence);
    for (const visit of dated) {
      const { opensOn, closesOn } = visit;
      if (closesOn >= today) break; // window still open or to come: nothing recorded yet
      if (withdrawnOn !== null && closesOn >= withdrawnOn) break;
      if (deathOn !== null && closesOn >= deathOn) {
        if (deathRecorded) break;
        deathRecorded = true;
        const assessedOn = draw.day(opensOn > deathOn ? opensOn : deathOn, closesOn);
        const cause = draw.weighted({
          cardiac: 45,
          infection: 15,
          neurological: 10,
          multi_organ_failure: 10,
          bleeding: 8,
          other: 12,
        });
        assessments.push({
          ...blankAssessment(input, visit.id, assessedOn),
          source: draw.weighted({ records: 60, telephone: 40 }),
          vitalStatus: 'dead',
          diedOn: deathOn,
          causeOfDeath: cause,
          causeDetail: cause === 'other' ? 'Malignancy' : null,
          mrs: 6,
        });
        continue;
      }
      const assessedOn = draw.day(opensOn, closesOn);
      assessments.push(
        aliveAssessment(input, visit.id, assessedOn, contactUntil !== null && assessedOn >= contactUntil),
      );
    }
  }

  const completed = new Set(assessments.map((a) => a.visitId));
  const deathOn = followUpDeathOn(assessments);
  // endsOf reads only the consent and loss columns of the patient.
  const ends = endsOf(patient as Patient, records, deathOn);
  const rows: VisitRow[] = visits.map((v) => {
    const state = visitState(v.dates, { completed: completed.has(v.id), booked: false }, ends, today);
    return {
      id: v.id,
      patientId: patient.id,
      protocolVersion: protocol.version,
      code: v.definition.code,
      label: v.definition.label,
      sequence: v.sequence,
      anchor: v.definition.anchor,
      dueOn: v.dates.dueOn,
      opensOn: v.dates.opensOn,
      closesOn: v.dates.closesOn,
      status: state.status,
      statusReason: state.reason,
      version: 1,
    };
  });
  check(input, assessments, dischargeOn);
  return { visits: rows, assessments, deathOn };
}

function blankAssessment(input: FollowUpInput, visitId: string, assessedOn: string): AssessmentRow {
  return {
    id: input.newId(),
    patientId: input.patient.id,
    visitId,
    assessedOn,
    source: 'clinic',
    vitalStatus: 'alive',
    diedOn: null,
    causeOfDeath: null,
    causeDetail: null,
    mrs: null,
    nyha: null,
    eq5dMobility: null,
    eq5dSelfCare: null,
    eq5dUsualActivities: null,
    eq5dPainDiscomfort: null,
    eq5dAnxietyDepression: null,
    eqVas: null,
    readmissions: null,
    returnToWork: null,
    missing: {},
    version: 1,
    voidedAt: null,
    voidReason: null,
  };
}

/**
 * A living patient's assessment: mRS mostly 0-2, NYHA I-II, EQ-5D-5L levels mostly 1-2; from the records
 * (after a level (a) withdrawal, or now and then) the questionnaires are not done, said as missing reasons;
 * remote assessments often lack the EQ VAS.
 */
function aliveAssessment(
  input: FollowUpInput,
  visitId: string,
  assessedOn: string,
  fromRecordsOnly: boolean,
): AssessmentRow {
  const { draw } = input;
  const source = fromRecordsOnly
    ? 'records'
    : draw.weighted({ clinic: 55, telephone: 28, video: 9, records: 8 });
  const age =
    input.patient.ageAtEcmoStart +
    Math.floor(
      (Date.parse(assessedOn) - (input.records.runs[0]?.startedAt.getTime() ?? Date.parse(assessedOn))) /
        (365.25 * 86_400_000),
    );
  const row: AssessmentRow = {
    ...blankAssessment(input, visitId, assessedOn),
    source,
    mrs: Number(draw.weighted({ '0': 20, '1': 30, '2': 25, '3': 15, '4': 8, '5': 2 })),
    nyha: Number(draw.weighted({ '1': 40, '2': 40, '3': 15, '4': 5 })),
    readmissions: Number(draw.weighted({ '0': 75, '1': 18, '2': 5, '3': 2 })),
  };
  if (source === 'records') {
    row.missing = {
      eq5dMobility: 'not_done',
      eq5dSelfCare: 'not_done',
      eq5dUsualActivities: 'not_done',
      eq5dPainDiscomfort: 'not_done',
      eq5dAnxietyDepression: 'not_done',
      eqVas: 'not_done',
      returnToWork: 'unknown',
    };
    return row;
  }
  row.eq5dMobility = level(draw);
  row.eq5dSelfCare = level(draw);
  row.eq5dUsualActivities = level(draw);
  row.eq5dPainDiscomfort = level(draw);
  row.eq5dAnxietyDepression = level(draw);
  if (source !== 'clinic' && draw.chance(FOLLOW_UP_RATES.remoteWithoutVas)) {
    row.missing = { eqVas: 'not_done' };
  } else {
    row.eqVas = Math.round(Math.min(100, Math.max(10, draw.uniform(40, 100))));
  }
  row.returnToWork = age >= 66 ? 'not_applicable' : draw.weighted({ full: 40, partial: 25, no: 35 });
  return row;
}

/** The services' own assessment rules over the result (and withdrawal level (b)): a bug here throws. */
function check(input: FollowUpInput, assessments: AssessmentRow[], dischargeOn: string | null): void {
  if (assessments.length === 0) return;
  const { patient, records } = input;
  const death = deathInstant(records);
  const problems = assessmentProblems({
    today: input.today,
    operationDate: records.operation?.operationDate ?? null,
    dischargeOn,
    hospitalDeathOn: death ? londonDay(death) : null,
    assessments,
  }).map((p) => `${p.field} ${p.reason}`);
  const withdrawnAt = patient.dataCollectionWithdrawnAt;
  if (withdrawnAt && assessments.some((a) => datedAfterWithdrawal(a.assessedOn, withdrawnAt))) {
    problems.push('an assessment is dated after the withdrawal from data collection');
  }
  if (problems.length > 0) {
    throw new Error(
      `bulk generator: follow-up of patient ${patient.id} breaks the rules: ${problems.join('; ')}`,
    );
  }
}
