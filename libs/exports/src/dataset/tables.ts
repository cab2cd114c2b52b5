import type { EntityManager } from 'typeorm';
import { addCalendarDays, resolveLocalTime } from '../../../time/src/index.js';
import {
  BOOLEAN_VALUES,
  missingOf,
  pseudonymColumn,
  selectExpression,
  type ExportColumn,
} from './columns.js';

/**
 * The data cut-off: the export holds what happened up to the end of `date` in Europe/London (`endsAt`, the
 * next local midnight, exclusive), as the database knows it when the export is generated (late entries for
 * earlier events included: that is what a cut-off date means).
 */
export interface CutOff {
  readonly date: string;
  readonly endsAt: Date;
}

/** The end of the cut-off day in Europe/London (the next local midnight, which always exists there). */
export function cutOffOf(date: string): CutOff {
  const next = resolveLocalTime(addCalendarDays(date, 1), '00:00');
  if (!next.ok) throw new RangeError(`no local midnight after ${date}`);
  return { date, endsAt: next.instant };
}

export interface ExportTable {
  readonly file: string;
  /** What one row is. */
  readonly row: string;
  readonly columns: readonly ExportColumn[];
  /**
   * FROM … WHERE … ORDER BY …, after the CTEs `cut` (date, at: the cut-off), `cohort` (the patients) and
   * `runs` (their numbered runs); the order makes the file deterministic.
   */
  readonly from: string;
}

/** The cut-off date as SQL (COPY takes no parameters): refused unless it is YYYY-MM-DD. */
export function dateLiteral(cut: CutOff): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(cut.date)) throw new RangeError(`not a cut-off date: ${cut.date}`);
  return `'${cut.date}'::date`;
}

export function instantLiteral(cut: CutOff): string {
  return `'${cut.endsAt.toISOString()}'::timestamptz`;
}

/**
 * The patients whose rows are exported: ECMO started by the cut-off, minus those kept only as a count (a
 * decline by the patient or their consultee) and those withdrawn at level (c) (excluded from every export
 * made after the withdrawal). Both still count in the aggregate report's minimal counting set.
 */
export function cohortQuery(cut: CutOff): string {
  return `SELECT p.* FROM patient p
     WHERE p.counting_only_since IS NULL AND p.export_withdrawn_at IS NULL
       AND EXISTS (SELECT 1 FROM ecmo_run r
                    WHERE r.patient_id = p.id AND r.voided_at IS NULL AND r.started_at < ${instantLiteral(cut)})`;
}

/** Live ECMO runs started by the cut-off, numbered per patient in start order (the key complications use). */
function runsQuery(cut: CutOff): string {
  return `SELECT r.*, row_number() OVER (PARTITION BY r.patient_id ORDER BY r.started_at, r.id) AS run_number
      FROM ecmo_run r JOIN cohort c ON c.id = r.patient_id
     WHERE r.voided_at IS NULL AND r.started_at < ${instantLiteral(cut)}`;
}

/** The SELECT that COPY runs for a table: CSV without a header (the writer adds ours), no quoting needed. */
export function copyQuery(table: ExportTable, cut: CutOff): string {
  const select = table.columns.map((column) => selectExpression(column)).join(',\n       ');
  return `COPY (WITH cut AS (SELECT ${dateLiteral(cut)} AS date, ${instantLiteral(cut)} AS at),
     cohort AS (${cohortQuery(cut)}),
     runs AS (${runsQuery(cut)})
SELECT ${select}
  ${table.from}) TO STDOUT (FORMAT csv)`;
}

/** Every site: its code, internal id and NHS England region (null until recorded), for the external audit. */
export function siteRegions(
  em: EntityManager,
): Promise<{ id: string; code: string; region: string | null }[]> {
  return em.query(`SELECT id, code, region FROM site ORDER BY code`);
}

/** The taxonomy group (`g.group_code`) of a complication `x`, from the current version of the taxonomy. */
export const COMPLICATION_GROUP_JOIN = `LEFT JOIN value_set_code g ON g.value_set = 'complication' AND g.code = x.code
        AND g.version = (SELECT max(version) FROM value_set_version WHERE value_set = 'complication')`;

/** Values stated by the schema (CHECK constraints), not by a value set. */
const CONSENT_STATES = ['emergency_enrolled', 'consultee_agreed', 'consented', 'withdrawn'];
const ELIGIBILITY_RULES = ['adult', 'va_mode', 'pccs_timing', 'mdt_decision'];
const VISIT_STATUS = ['completed', 'due', 'missed', 'not_required', 'lost_to_follow_up'];
const VISIT_REASONS = [
  'death',
  'withdrawal',
  'declined',
  'lost_to_follow_up',
  'protocol_changed',
  'not_planned',
];

/** The patient-level files of every export, in the order they are written. */
export const EXPORT_TABLES: readonly ExportTable[] = [
  {
    file: 'patients.csv',
    row: 'A patient whose ECMO started by the cut-off (declined and level-c withdrawn patients are not here).',
    columns: [
      pseudonymColumn('c.id'),
      { name: 'site', kind: 'code', sql: 's.code', meaning: 'Site responsible for the patient now.' },
      { name: 'enrolment_site', kind: 'code', sql: 'e.code', meaning: 'Site that enrolled the patient.' },
      { name: 'sex', kind: 'code', sql: 'c.sex', meaning: 'Phenotypic sex.', valueSet: 'sex' },
      {
        name: 'age_at_ecmo_start',
        kind: 'integer',
        sql: 'c.age_at_ecmo_start',
        meaning: 'Age in completed years at the start of the first ECMO run.',
        unit: 'years',
      },
      {
        name: 'eligible',
        kind: 'boolean',
        sql: `(c.eligibility_failures = '[]'::jsonb)`,
        meaning:
          'Every eligibility rule passes on the recorded facts (adult, VA mode, PCCS timing, MDT decision).',
        values: BOOLEAN_VALUES,
      },
      {
        name: 'eligibility_failures',
        kind: 'code_list',
        sql: `(SELECT string_agg(DISTINCT f ->> 'rule', '|' ORDER BY f ->> 'rule') FROM jsonb_array_elements(c.eligibility_failures) f)`,
        meaning: 'The eligibility rules that fail, separated by |; empty when eligible.',
        values: ELIGIBILITY_RULES,
      },
      {
        name: 'mdt_decision_at',
        kind: 'instant',
        sql: 'c.mdt_decision_at',
        meaning: 'When the multidisciplinary team decided to start ECMO (or confirmed an emergency start).',
      },
      {
        name: 'consent_state',
        kind: 'code',
        sql: 'c.consent_state',
        meaning: 'Consent state now (the latest event of the consent timeline).',
        values: CONSENT_STATES,
      },
      {
        name: 'data_collection_withdrawn_at',
        kind: 'instant',
        sql: 'c.data_collection_withdrawn_at',
        meaning: 'Withdrawal level (b): no clinical data is collected after this instant (censor here).',
      },
      {
        name: 'lost_to_follow_up_on',
        kind: 'date',
        sql: 'c.lost_to_follow_up_on',
        meaning: 'Date from which the patient was lost to follow-up.',
      },
      {
        name: 'protocol_version',
        kind: 'integer',
        sql: 'c.protocol_version',
        meaning: 'Version of the follow-up protocol the patient follows.',
      },
    ],
    from: `FROM cohort c CROSS JOIN cut JOIN site s ON s.id = c.site_id JOIN site e ON e.id = c.enrolment_site_id
 ORDER BY c.id`,
  },
  {
    file: 'operations.csv',
    row: 'The index cardiac operation of a patient.',
    columns: [
      pseudonymColumn('o.patient_id'),
      {
        name: 'operation_date',
        kind: 'date',
        sql: 'o.operation_date',
        meaning: 'Date of the index operation.',
      },
      {
        name: 'category',
        kind: 'code',
        sql: 'o.category',
        meaning: 'Category of operation.',
        valueSet: 'operation_category',
      },
      { name: 'urgency', kind: 'code', sql: 'o.urgency', meaning: 'Urgency.', valueSet: 'operation_urgency' },
      missingOf('urgency', 'urgency', 'o'),
      {
        name: 'redo',
        kind: 'boolean',
        sql: 'o.redo',
        meaning: 'Redo (re-operative) surgery.',
        values: BOOLEAN_VALUES,
      },
      missingOf('redo', 'redo', 'o'),
      {
        name: 'bypass_minutes',
        kind: 'integer',
        sql: 'o.bypass_minutes',
        meaning: 'Cardiopulmonary bypass time.',
        unit: 'minutes',
      },
      missingOf('bypass_minutes', 'bypassMinutes', 'o'),
      {
        name: 'cross_clamp_minutes',
        kind: 'integer',
        sql: 'o.cross_clamp_minutes',
        meaning: 'Aortic cross-clamp time.',
        unit: 'minutes',
      },
      missingOf('cross_clamp_minutes', 'crossClampMinutes', 'o'),
      {
        name: 'euroscore_ii',
        kind: 'decimal',
        sql: 'o.euroscore_ii',
        meaning: 'EuroSCORE II predicted mortality.',
        unit: 'percent',
      },
      missingOf('euroscore_ii', 'euroscoreIi', 'o'),
    ],
    from: `FROM index_operation o CROSS JOIN cut JOIN cohort c ON c.id = o.patient_id
 WHERE o.voided_at IS NULL AND o.operation_date <= cut.date
 ORDER BY o.patient_id`,
  },
  {
    file: 'ecmo_runs.csv',
    row: 'An ECMO run started by the cut-off (a patient may have more than one).',
    columns: [
      pseudonymColumn('r.patient_id'),
      {
        name: 'run_number',
        kind: 'integer',
        sql: 'r.run_number',
        meaning: 'The run’s number for the patient, in start order (1 = first); complications refer to it.',
      },
      { name: 'started_at', kind: 'instant', sql: 'r.started_at', meaning: 'Start of ECMO support.' },
      {
        name: 'ended_at',
        kind: 'instant',
        sql: 'CASE WHEN r.ended_at < cut.at THEN r.ended_at END',
        meaning: 'Decannulation or end of support; empty when the run was still going at the cut-off.',
      },
      {
        name: 'duration_hours',
        kind: 'decimal',
        sql: 'CASE WHEN r.ended_at < cut.at THEN round(extract(epoch FROM r.ended_at - r.started_at) / 3600, 1) END',
        meaning: 'Duration of support (ended_at − started_at); empty while the run was going at the cut-off.',
        unit: 'hours',
      },
      { name: 'mode', kind: 'code', sql: 'r.mode', meaning: 'ECMO mode.', valueSet: 'ecmo_mode' },
      {
        name: 'start_location',
        kind: 'code',
        sql: 'r.start_location',
        meaning: 'Where support started.',
        valueSet: 'ecmo_start_location',
      },
      {
        name: 'started_for',
        kind: 'code',
        sql: 'r.started_for',
        meaning: 'Indication: failure to wean from bypass in theatre, or post-operative shock.',
        valueSet: 'ecmo_started_for',
      },
      {
        name: 'cannulation',
        kind: 'code',
        sql: 'r.cannulation',
        meaning: 'Central or peripheral cannulation.',
        valueSet: 'cannulation',
      },
      missingOf('cannulation', 'cannulation', 'r'),
      {
        name: 'drainage_site',
        kind: 'code',
        sql: 'r.drainage_site',
        meaning: 'Drainage cannula site.',
        valueSet: 'cannula_site',
      },
      missingOf('drainage_site', 'drainageSite', 'r'),
      {
        name: 'return_site',
        kind: 'code',
        sql: 'r.return_site',
        meaning: 'Return cannula site.',
        valueSet: 'cannula_site',
      },
      missingOf('return_site', 'returnSite', 'r'),
      {
        name: 'distal_perfusion',
        kind: 'boolean',
        sql: 'r.distal_perfusion',
        meaning: 'Distal perfusion cannula placed.',
        values: BOOLEAN_VALUES,
      },
      missingOf('distal_perfusion', 'distalPerfusion', 'r'),
      {
        name: 'lv_unloading',
        kind: 'code',
        sql: 'r.lv_unloading',
        meaning: 'Left-ventricular unloading.',
        valueSet: 'lv_unloading',
      },
      missingOf('lv_unloading', 'lvUnloading', 'r'),
      {
        name: 'pre_cardiac_arrest',
        kind: 'boolean',
        sql: 'r.pre_cardiac_arrest',
        meaning: 'Cardiac arrest before ECMO start.',
        values: BOOLEAN_VALUES,
      },
      missingOf('pre_cardiac_arrest', 'preCardiacArrest', 'r'),
      {
        name: 'pre_lactate',
        kind: 'decimal',
        sql: 'r.pre_lactate',
        meaning: 'Arterial lactate before ECMO start.',
        unit: 'mmol/L',
      },
      missingOf('pre_lactate', 'preLactate', 'r'),
      {
        name: 'pre_vis',
        kind: 'decimal',
        sql: 'r.pre_vis',
        meaning: 'Vasoactive-inotropic score before ECMO start.',
        unit: 'score',
      },
      missingOf('pre_vis', 'preVis', 'r'),
      {
        name: 'pre_ph',
        kind: 'decimal',
        sql: 'r.pre_ph',
        meaning: 'Arterial pH before ECMO start.',
        unit: 'pH',
      },
      missingOf('pre_ph', 'prePh', 'r'),
      {
        name: 'end_reason',
        kind: 'code',
        sql: 'CASE WHEN r.ended_at < cut.at THEN r.end_reason END',
        meaning: 'How the run ended; empty while it was going at the cut-off.',
        valueSet: 'ecmo_end_reason',
      },
    ],
    from: `FROM runs r CROSS JOIN cut ORDER BY r.patient_id, r.run_number`,
  },
  {
    file: 'complications.csv',
    row: 'A complication with onset by the cut-off (voided entries are not exported; descriptions never are).',
    columns: [
      pseudonymColumn('x.patient_id'),
      {
        name: 'run_number',
        kind: 'integer',
        sql: 'r.run_number',
        meaning: 'The ECMO run it occurred on (ecmo_runs.csv); empty when not on ECMO.',
      },
      { name: 'code', kind: 'code', sql: 'x.code', meaning: 'Complication.', valueSet: 'complication' },
      {
        name: 'code_group',
        kind: 'code',
        sql: 'g.group_code',
        meaning: 'Group of the taxonomy the code belongs to (bleeding, neurological, …).',
      },
      { name: 'onset_at', kind: 'instant', sql: 'x.onset_at', meaning: 'Onset of the complication.' },
      {
        name: 'grade',
        kind: 'integer',
        sql: 'x.grade',
        meaning: 'Severity grade 1–5 (5 = fatal).',
        unit: 'grade',
      },
      missingOf('grade', 'grade', 'x'),
      {
        name: 'serious',
        kind: 'boolean',
        sql: 'x.serious',
        meaning: 'Serious adverse event.',
        values: BOOLEAN_VALUES,
      },
      missingOf('serious', 'serious', 'x'),
      {
        name: 'relation',
        kind: 'code',
        sql: 'x.relation',
        meaning: 'Relation to ECMO.',
        valueSet: 'complication_relation',
      },
      missingOf('relation', 'relation', 'x'),
      {
        name: 'outcome',
        kind: 'code',
        sql: 'x.outcome',
        meaning: 'Outcome of the complication.',
        valueSet: 'complication_outcome',
      },
      missingOf('outcome', 'outcome', 'x'),
    ],
    from: `FROM complication x CROSS JOIN cut JOIN cohort c ON c.id = x.patient_id
  LEFT JOIN runs r ON r.id = x.ecmo_run_id
  ${COMPLICATION_GROUP_JOIN}
 WHERE x.voided_at IS NULL AND x.onset_at < cut.at
 ORDER BY x.patient_id, x.onset_at, x.code, x.id`,
  },
  {
    file: 'hospital_outcomes.csv',
    row: 'The end of the index hospital stay (discharge or death), when it came by the cut-off.',
    columns: [
      pseudonymColumn('h.patient_id'),
      {
        name: 'kind',
        kind: 'code',
        sql: 'h.kind',
        meaning: 'Discharge or death.',
        values: ['discharge', 'death'],
      },
      { name: 'occurred_at', kind: 'instant', sql: 'h.occurred_at', meaning: 'Discharge or death.' },
      {
        name: 'alive_at_discharge',
        kind: 'boolean',
        sql: `(h.kind = 'discharge')`,
        meaning: 'Left hospital alive.',
        values: BOOLEAN_VALUES,
      },
      {
        name: 'destination',
        kind: 'code',
        sql: 'h.destination',
        meaning: 'Discharge destination.',
        valueSet: 'discharge_destination',
      },
      missingOf('destination', 'destination', 'h'),
      {
        name: 'cause_of_death',
        kind: 'code',
        sql: 'h.cause_of_death',
        meaning: 'Cause of death in hospital.',
        valueSet: 'cause_of_death',
      },
      missingOf('cause_of_death', 'causeOfDeath', 'h'),
    ],
    from: `FROM hospital_outcome h CROSS JOIN cut JOIN cohort c ON c.id = h.patient_id
 WHERE h.voided_at IS NULL AND h.occurred_at < cut.at
 ORDER BY h.patient_id`,
  },
  {
    file: 'follow_up_visits.csv',
    row: 'A follow-up visit whose window had opened by the cut-off.',
    columns: [
      pseudonymColumn('v.patient_id'),
      {
        name: 'protocol_version',
        kind: 'integer',
        sql: 'v.protocol_version',
        meaning: 'Version of the follow-up protocol the visit belongs to.',
      },
      {
        name: 'visit_code',
        kind: 'code',
        sql: 'v.code',
        meaning: 'The visit of the protocol (discharge, day_30, month_3, month_6, month_12, year_2…).',
      },
      { name: 'due_on', kind: 'date', sql: 'v.due_on', meaning: 'Date the visit is due.' },
      { name: 'opens_on', kind: 'date', sql: 'v.opens_on', meaning: 'First day of the visit window.' },
      { name: 'closes_on', kind: 'date', sql: 'v.closes_on', meaning: 'Last day of the visit window.' },
      {
        name: 'status_at_cut_off',
        kind: 'code',
        sql: `CASE WHEN a.id IS NOT NULL THEN 'completed'
                   WHEN v.status IN ('not_required', 'lost_to_follow_up') THEN v.status
                   WHEN v.closes_on < cut.date THEN 'missed'
                   ELSE 'due' END`,
        meaning:
          'completed (an assessment on or before the cut-off); not_required or lost_to_follow_up (as known when the export was made); missed (window closed before the cut-off without one); due (window open at the cut-off).',
        values: VISIT_STATUS,
      },
      {
        name: 'status_reason',
        kind: 'code',
        sql: `CASE WHEN a.id IS NULL AND v.status = 'not_required' THEN v.status_reason END`,
        meaning: 'Why a visit is not required.',
        values: VISIT_REASONS,
      },
    ],
    from: `FROM follow_up_visit v CROSS JOIN cut JOIN cohort c ON c.id = v.patient_id
  LEFT JOIN follow_up_assessment a ON a.visit_id = v.id AND a.voided_at IS NULL AND a.assessed_on <= cut.date
 WHERE v.due_on IS NOT NULL AND v.opens_on <= cut.date
 ORDER BY v.patient_id, v.protocol_version, v.sequence`,
  },
  {
    file: 'follow_up_assessments.csv',
    row: 'An assessment recorded at a follow-up visit, on or before the cut-off (free-text notes are never exported).',
    columns: [
      pseudonymColumn('a.patient_id'),
      {
        name: 'protocol_version',
        kind: 'integer',
        sql: 'v.protocol_version',
        meaning: 'Protocol version of the visit (with visit_code, the key of follow_up_visits.csv).',
      },
      { name: 'visit_code', kind: 'code', sql: 'v.code', meaning: 'The visit assessed.' },
      { name: 'assessed_on', kind: 'date', sql: 'a.assessed_on', meaning: 'Date of the assessment.' },
      {
        name: 'source',
        kind: 'code',
        sql: 'a.source',
        meaning: 'How the assessment was made.',
        values: ['clinic', 'telephone', 'video', 'records'],
      },
      {
        name: 'vital_status',
        kind: 'code',
        sql: 'a.vital_status',
        meaning: 'Alive or dead at the assessment.',
        values: ['alive', 'dead'],
      },
      { name: 'died_on', kind: 'date', sql: 'a.died_on', meaning: 'Date of death, when dead.' },
      {
        name: 'cause_of_death',
        kind: 'code',
        sql: 'a.cause_of_death',
        meaning: 'Cause of death, when dead.',
        valueSet: 'cause_of_death',
      },
      ...level('mrs', 'mrs', 'Modified Rankin Scale (0 no symptoms … 6 dead).', 'score 0–6'),
      ...level('nyha', 'nyha', 'NYHA functional class (1 = I … 4 = IV).', 'class 1–4'),
      ...level('eq5d_mobility', 'eq5dMobility', 'EQ-5D-5L mobility.', 'level 1–5'),
      ...level('eq5d_self_care', 'eq5dSelfCare', 'EQ-5D-5L self-care.', 'level 1–5'),
      ...level('eq5d_usual_activities', 'eq5dUsualActivities', 'EQ-5D-5L usual activities.', 'level 1–5'),
      ...level('eq5d_pain_discomfort', 'eq5dPainDiscomfort', 'EQ-5D-5L pain/discomfort.', 'level 1–5'),
      ...level(
        'eq5d_anxiety_depression',
        'eq5dAnxietyDepression',
        'EQ-5D-5L anxiety/depression.',
        'level 1–5',
      ),
      ...level(
        'eq_vas',
        'eqVas',
        'EQ visual analogue scale (0 worst … 100 best imaginable health).',
        '0–100',
      ),
      ...level('readmissions', 'readmissions', 'Hospital readmissions since the previous visit.', 'count'),
      {
        name: 'return_to_work',
        kind: 'code',
        sql: 'a.return_to_work',
        meaning: 'Return to work or usual activity.',
        values: ['full', 'partial', 'no', 'not_applicable'],
      },
      missingOf('return_to_work', 'returnToWork', 'a'),
    ],
    from: `FROM follow_up_assessment a CROSS JOIN cut JOIN cohort c ON c.id = a.patient_id
  JOIN follow_up_visit v ON v.id = a.visit_id
 WHERE a.voided_at IS NULL AND a.assessed_on <= cut.date
 ORDER BY a.patient_id, v.protocol_version, v.sequence, a.id`,
  },
];

function level(name: string, field: string, meaning: string, unit: string): ExportColumn[] {
  return [
    {
      name,
      kind: 'integer',
      sql: `a.${field.replace(/[A-Z]/g, (l) => `_${l.toLowerCase()}`)}`,
      meaning,
      unit,
    },
    missingOf(name, field, 'a'),
  ];
}
