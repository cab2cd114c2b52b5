import type { EntityManager } from 'typeorm';
import { COMPLICATION_GROUP_JOIN, dateLiteral, instantLiteral, type CutOff } from '../dataset/tables.js';

/** A run of the patient, as at the cut-off (an end after the cut-off is no end yet). */
export interface RunFacts {
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly endReason: string | null;
  /** Pre-ECMO lactate and cardiac-arrest status both recorded (audit criterion). */
  readonly lactateAndArrestRecorded: boolean;
}

export interface ComplicationFacts {
  readonly code: string;
  readonly group: string;
  readonly onEcmo: boolean;
  readonly graded: boolean;
}

/** A follow-up visit whose window had closed by the cut-off, or which was completed by then. */
export interface VisitFacts {
  readonly code: string;
  readonly status: string;
  readonly reason: string | null;
  readonly windowClosed: boolean;
  readonly completed: boolean;
  readonly completedInWindow: boolean;
}

/**
 * What the aggregate report knows of one treated patient (ECMO started by the cut-off). A patient kept only
 * as a count (declined, or withdrawn at level c) has the minimal counting set only: site, start, hospital
 * outcome; every other field is empty, by the query itself, so no statistic can use more.
 */
export interface PatientFacts {
  readonly site: string;
  readonly countingOnly: boolean;
  readonly startedAt: number;
  /** Year of the first ECMO start in Europe/London: the report's period. */
  readonly startYear: string;
  readonly outcome: 'discharge' | 'death' | null;
  readonly outcomeAt: number | null;
  readonly outcomeRecordedAt: number | null;
  readonly consentDocumented: boolean | null;
  readonly mdtDecisionTimely: boolean | null;
  readonly runs: readonly RunFacts[];
  readonly complications: readonly ComplicationFacts[];
  readonly visits: readonly VisitFacts[];
  /** Latest date the patient was known alive at a follow-up assessment (noon UTC), by the cut-off. */
  readonly assessedAliveAt: number | null;
  /** Death recorded at a follow-up assessment (its date at noon UTC), by the cut-off. */
  readonly assessedDeathAt: number | null;
}

/** One row per treated patient, from the same snapshot as the files (the generator's transaction). */
export function factsQuery(cut: CutOff): string {
  const date = dateLiteral(cut);
  const at = instantLiteral(cut);
  const full = 'NOT t.counting_only';
  const ms = (expression: string) => `(extract(epoch FROM ${expression}) * 1000)::float8`;
  return `
WITH treated AS (
  SELECT p.id, s.code AS site, p.eligibility_failures, p.site_id,
         (p.counting_only_since IS NOT NULL OR p.export_withdrawn_at IS NOT NULL) AS counting_only,
         first.started_at
    FROM patient p
    JOIN site s ON s.id = p.site_id
    JOIN LATERAL (SELECT r.started_at FROM ecmo_run r
                   WHERE r.patient_id = p.id AND r.voided_at IS NULL AND r.started_at < ${at}
                   ORDER BY r.started_at, r.id LIMIT 1) first ON true
)
SELECT t.site, t.counting_only AS "countingOnly",
       ${ms('t.started_at')} AS "startedAt",
       to_char(t.started_at AT TIME ZONE 'Europe/London', 'YYYY') AS "startYear",
       h.kind AS outcome, ${ms('h.occurred_at')} AS "outcomeAt",
       CASE WHEN ${full} THEN ${ms('h.created_at')} END AS "outcomeRecordedAt",
       CASE WHEN ${full} THEN
         EXISTS (SELECT 1 FROM consent_event e WHERE e.patient_id = t.id AND e.voided_at IS NULL
                    AND e.occurred_at < ${at} AND e.kind = 'patient_consent')
         OR (EXISTS (SELECT 1 FROM consent_event e WHERE e.patient_id = t.id AND e.voided_at IS NULL
                        AND e.occurred_at < ${at} AND e.kind = 'emergency_enrolment')
             AND EXISTS (SELECT 1 FROM consent_event e WHERE e.patient_id = t.id AND e.voided_at IS NULL
                            AND e.occurred_at < ${at} AND e.kind = 'consultee_advice'))
       END AS "consentDocumented",
       CASE WHEN ${full} THEN NOT (t.eligibility_failures @> '[{"rule": "mdt_decision"}]'::jsonb) END
         AS "mdtDecisionTimely",
       COALESCE((SELECT json_agg(json_build_object(
                  'startedAt', ${ms('r.started_at')},
                  'endedAt', CASE WHEN r.ended_at < ${at} THEN ${ms('r.ended_at')} END,
                  'endReason', CASE WHEN r.ended_at < ${at} THEN r.end_reason END,
                  'lactateAndArrestRecorded', r.pre_lactate IS NOT NULL AND r.pre_cardiac_arrest IS NOT NULL)
                  ORDER BY r.started_at, r.id)
           FROM ecmo_run r WHERE ${full} AND r.patient_id = t.id AND r.voided_at IS NULL AND r.started_at < ${at}),
         '[]') AS runs,
       COALESCE((SELECT json_agg(json_build_object(
                  'code', x.code, 'group', COALESCE(g.group_code, x.code),
                  'onEcmo', x.ecmo_run_id IS NOT NULL, 'graded', x.grade IS NOT NULL)
                  ORDER BY x.onset_at, x.id)
           FROM complication x
           ${COMPLICATION_GROUP_JOIN}
          WHERE ${full} AND x.patient_id = t.id AND x.voided_at IS NULL AND x.onset_at < ${at}),
         '[]') AS complications,
       COALESCE((SELECT json_agg(json_build_object(
                  'code', v.code, 'status', v.status, 'reason', v.status_reason,
                  'windowClosed', v.closes_on < ${date},
                  'completed', a.id IS NOT NULL,
                  'completedInWindow', a.id IS NOT NULL AND a.assessed_on BETWEEN v.opens_on AND v.closes_on)
                  ORDER BY v.sequence)
           FROM follow_up_visit v
           JOIN patient p ON p.id = v.patient_id AND p.protocol_version = v.protocol_version
           LEFT JOIN follow_up_assessment a ON a.visit_id = v.id AND a.voided_at IS NULL AND a.assessed_on <= ${date}
          WHERE ${full} AND v.patient_id = t.id AND v.due_on IS NOT NULL
            AND (v.closes_on < ${date} OR a.id IS NOT NULL)),
         '[]') AS visits,
       CASE WHEN ${full} THEN
         (SELECT ${ms("max(a.assessed_on) + time '12:00'")} FROM follow_up_assessment a
           WHERE a.patient_id = t.id AND a.voided_at IS NULL AND a.vital_status = 'alive' AND a.assessed_on <= ${date})
       END AS "assessedAliveAt",
       CASE WHEN ${full} THEN
         (SELECT ${ms("min(COALESCE(a.died_on, a.assessed_on)) + time '12:00'")} FROM follow_up_assessment a
           WHERE a.patient_id = t.id AND a.voided_at IS NULL AND a.vital_status = 'dead' AND a.assessed_on <= ${date})
       END AS "assessedDeathAt"
  FROM treated t
  LEFT JOIN hospital_outcome h ON h.patient_id = t.id AND h.voided_at IS NULL AND h.occurred_at < ${at}
 ORDER BY t.site, t.started_at, t.id`;
}

/** Every exported patient's facts at the cut-off, read in the caller's transaction (the export's snapshot). */
export function patientFacts(em: EntityManager, cut: CutOff): Promise<PatientFacts[]> {
  return em.query<PatientFacts[]>(factsQuery(cut));
}
