/**
 * The follow-up part of a patient's timeline (domain guide §3-4): assessments lie between the index
 * operation and today, a death recorded at follow-up lies after the hospital discharge (an in-hospital death
 * is the hospital outcome) and on or before the assessment that records it, and nothing says the patient was
 * alive after their death. Days are London calendar days (`YYYY-MM-DD`).
 */

export interface AssessmentFacts {
  readonly id: string;
  readonly assessedOn: string;
  readonly vitalStatus: 'alive' | 'dead';
  readonly diedOn: string | null;
  readonly mrs: number | null;
}

export interface FollowUpTimelineFacts {
  readonly today: string;
  readonly operationDate: string | null;
  readonly dischargeOn: string | null;
  /** The day of a death the hospital record holds (died on ECMO, or the hospital outcome). */
  readonly hospitalDeathOn: string | null;
  readonly assessments: readonly AssessmentFacts[];
}

export interface AssessmentProblem {
  readonly field: string;
  readonly reason: string;
  readonly recordId: string;
}

/** The day the patient died at follow-up: the earliest death recorded (its day, or the assessment's). */
export function followUpDeathOn(assessments: readonly AssessmentFacts[]): string | null {
  const days = assessments.filter((a) => a.vitalStatus === 'dead').map((a) => a.diedOn ?? a.assessedOn);
  return days.sort()[0] ?? null;
}

export function assessmentProblems(facts: FollowUpTimelineFacts): AssessmentProblem[] {
  const problems: AssessmentProblem[] = [];
  const deathOn = facts.hospitalDeathOn ?? followUpDeathOn(facts.assessments);
  for (const a of facts.assessments) {
    const problem = (field: string, reason: string): void => {
      problems.push({ field, reason, recordId: a.id });
    };
    if (a.assessedOn > facts.today) problem('assessedOn', 'is in the future');
    if (facts.operationDate !== null && a.assessedOn < facts.operationDate) {
      problem('assessedOn', `is before the index operation (${facts.operationDate})`);
    }
    if (a.vitalStatus === 'alive') {
      if (deathOn !== null && a.assessedOn > deathOn) {
        problem('vitalStatus', `is alive on ${a.assessedOn}, after the patient's death on ${deathOn}`);
      }
      if (a.mrs === 6) problem('mrs', 'is 6 (dead) for a patient assessed alive');
      continue;
    }
    if (a.mrs !== null && a.mrs !== 6) problem('mrs', 'must be 6 when the patient died');
    if (a.diedOn === null) continue;
    if (a.diedOn > a.assessedOn) problem('diedOn', 'is after the assessment that records it');
    if (facts.hospitalDeathOn !== null) {
      problem(
        'diedOn',
        `the patient died in hospital (${facts.hospitalDeathOn}): that is the hospital outcome`,
      );
    } else if (facts.dischargeOn !== null && a.diedOn < facts.dischargeOn) {
      problem(
        'diedOn',
        `is before the hospital discharge (${facts.dischargeOn}): an in-hospital death is the hospital outcome`,
      );
    }
    if (facts.operationDate !== null && a.diedOn < facts.operationDate) {
      problem('diedOn', `is before the index operation (${facts.operationDate})`);
    }
  }
  return problems;
}

/**
 * The scores and outcomes of an assessment, which one of a living patient should have, each of which may
 * instead carry a missing reason.
 */
export const ASSESSMENT_SCORES = [
  'mrs',
  'nyha',
  'eq5dMobility',
  'eq5dSelfCare',
  'eq5dUsualActivities',
  'eq5dPainDiscomfort',
  'eq5dAnxietyDepression',
  'eqVas',
  'readmissions',
  'returnToWork',
] as const;

/**
 * The fields a follow-up assessment should have (domain guide §3: a missing value says why): of a living
 * patient, the scores and outcomes; of a death, only its date and cause.
 */
export function expectedAssessmentFields(values: Readonly<Record<string, unknown>>): readonly string[] {
  return values.vitalStatus === 'dead' ? ['diedOn', 'causeOfDeath'] : ASSESSMENT_SCORES;
}
