import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RuleProblem, type FieldError } from '../../../observability/src/index.js';
import {
  deathInstant,
  recordBase,
  type RecordBase,
  type PatientChangeHook,
  type SettledChange,
  type RecordSpec,
} from '../../../registry/src/index.js';
import {
  ASSESSMENT_SCORES,
  assessmentProblems,
  expectedAssessmentFields,
  followUpDeathOn,
} from '../rules/assessments.js';
import { ASSESSMENT_WRITTEN, mayBreakAssessments } from '../written.js';
import { FollowUpPlanner } from '../visits/planner.js';
import { visitsOf } from '../visits/visits.queries.js';
import { FollowUpAssessment } from './assessment.entity.js';
import { liveAssessments } from './assessments.queries.js';
import { londonDay } from '../../../time/src/index.js';

const FIELDS = [
  'visitId',
  'assessedOn',
  'source',
  'vitalStatus',
  'diedOn',
  'causeOfDeath',
  'causeDetail',
  ...ASSESSMENT_SCORES,
] as const;

/** A follow-up assessment as answered. */
export interface AssessmentView extends RecordBase {
  /** @format uuid */
  readonly visitId: string;
  /** @format date */
  readonly assessedOn: string;
  readonly source: 'clinic' | 'telephone' | 'video' | 'records';
  readonly vitalStatus: 'alive' | 'dead';
  /** @format date */
  readonly diedOn: string | null;
  readonly causeOfDeath: string | null;
  readonly causeDetail: string | null;
  readonly mrs: number | null;
  readonly nyha: number | null;
  readonly eq5dMobility: number | null;
  readonly eq5dSelfCare: number | null;
  readonly eq5dUsualActivities: number | null;
  readonly eq5dPainDiscomfort: number | null;
  readonly eq5dAnxietyDepression: number | null;
  readonly eqVas: number | null;
  readonly readmissions: number | null;
  readonly returnToWork: 'full' | 'partial' | 'no' | 'not_applicable' | null;
}

export function assessmentView(a: FollowUpAssessment): AssessmentView {
  return {
    ...recordBase(a),
    visitId: a.visitId,
    assessedOn: a.assessedOn,
    source: a.source,
    vitalStatus: a.vitalStatus,
    diedOn: a.diedOn,
    causeOfDeath: a.causeOfDeath,
    causeDetail: a.causeDetail,
    mrs: a.mrs,
    nyha: a.nyha,
    eq5dMobility: a.eq5dMobility,
    eq5dSelfCare: a.eq5dSelfCare,
    eq5dUsualActivities: a.eq5dUsualActivities,
    eq5dPainDiscomfort: a.eq5dPainDiscomfort,
    eq5dAnxietyDepression: a.eq5dAnxietyDepression,
    eqVas: a.eqVas,
    readmissions: a.readmissions,
    returnToWork: a.returnToWork,
  };
}

/** A follow-up assessment, recorded, corrected and voided like every clinical record. */
export const ASSESSMENT: RecordSpec<FollowUpAssessment> = {
  title: 'The follow-up assessment',
  entity: FollowUpAssessment,
  kind: ASSESSMENT_WRITTEN,
  expected: expectedAssessmentFields,
  codes: { causeOfDeath: 'cause_of_death' },
  fields: (dto) => {
    const body = dto as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const field of FIELDS) if (body[field] !== undefined) fields[field] = body[field];
    return fields;
  },
  view: assessmentView,
  problems: (a, requiresText) => {
    const problems: FieldError[] = [];
    if (a.vitalStatus === 'alive') {
      for (const field of ['diedOn', 'causeOfDeath', 'causeDetail'] as const) {
        if (a[field] !== null && a[field] !== undefined) {
          problems.push({ field, reason: 'is only recorded for a patient who died' });
        }
      }
    }
    if (a.causeOfDeath && requiresText('cause_of_death', a.causeOfDeath) && !a.causeDetail) {
      problems.push({ field: 'causeDetail', reason: 'is required for this cause' });
    }
    return problems;
  },
  single: true,
  references: [
    { field: 'visitId', constraint: 'follow_up_assessment_visit_of_patient', what: 'a follow-up visit' },
  ],
};

/**
 * Assessments in the patient's record: after every change, their timeline must hold (422 otherwise, rolled
 * back with the change), each names a visit of the patient's plan; and they tell the planner which visits are
 * completed and whether the patient died at follow-up.
 */
@Injectable()
export class FollowUpAssessments implements PatientChangeHook, OnModuleInit {
  constructor(private readonly planner: FollowUpPlanner) {}

  onModuleInit(): void {
    this.planner.addFactSource(async (em, patientId, reads) => {
      const live = await liveAssessments(em, patientId, reads);
      return {
        completed: new Set(live.map((a) => a.visitId)),
        deathOn: followUpDeathOn(live),
      };
    });
  }

  async afterChange(
    em: EntityManager,
    { patientId, now, records, wrote, reads }: SettledChange,
  ): Promise<void> {
    if (!mayBreakAssessments(wrote?.kind ?? null)) return;
    const live = await liveAssessments(em, patientId, reads);
    if (live.length === 0) return;
    const death = deathInstant(records);
    const problems: FieldError[] = assessmentProblems({
      today: londonDay(now),
      operationDate: records.operation?.operationDate ?? null,
      dischargeOn: records.outcome?.kind === 'discharge' ? londonDay(records.outcome.occurredAt) : null,
      hospitalDeathOn: death ? londonDay(death) : null,
      assessments: live,
    }).map((p) => ({
      // The assessment the request sent: its body's field; another assessment the change broke: prefixed.
      field:
        wrote?.kind === ASSESSMENT_WRITTEN && wrote.id !== undefined && p.recordId === wrote.id
          ? p.field
          : `assessment.${p.field}`,
      reason: p.reason,
    }));
    const visits = await visitsOf(em, patientId);
    for (const a of live) {
      const visit = visits.find((v) => v.id === a.visitId);
      if (!visit) {
        problems.push({ field: 'visitId', reason: 'is not a follow-up visit of this patient' });
      } else if (visit.statusReason === 'protocol_changed' || visit.statusReason === 'not_planned') {
        problems.push({
          field: 'visitId',
          reason: `is a visit the patient's plan no longer holds (${visit.statusReason})`,
        });
      }
    }
    if (problems.length > 0) {
      throw new RuleProblem('The change breaks the follow-up timeline', problems);
    }
  }
}
