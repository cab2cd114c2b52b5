import type { EntityManager } from 'typeorm';
import type { SharedRead, SharedReads } from '../../../registry/src/index.js';
import { mayReplan } from '../written.js';
import { FollowUpAssessment } from './assessment.entity.js';

/**
 * The patient's live assessments: the checks and the planner read them after every change but a
 * complication, so settle reads them with the patient's records.
 */
export const LIVE_ASSESSMENTS: SharedRead<FollowUpAssessment> = {
  name: 'followUp.liveAssessments',
  target: FollowUpAssessment,
  json: `SELECT coalesce(json_agg(a ORDER BY a.assessed_on, a.created_at, a.id), '[]') FROM follow_up_assessment a
          WHERE a.patient_id = $1 AND a.voided_at IS NULL`,
  wanted: mayReplan,
};

/** The patient's live assessments, read once per settled change (see LIVE_ASSESSMENTS). */
export function liveAssessments(
  em: EntityManager,
  patientId: string,
  reads: SharedReads,
): Promise<FollowUpAssessment[]> {
  return reads.read(em, LIVE_ASSESSMENTS, patientId);
}
