import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { RouteAccess } from '../../libs/access/src/index.js';
import { bearer } from '../support/access.js';
import { connect, startApi } from '../support/apps.js';
import { usePrivateDatabase } from '../support/private-database.js';
import {
  buildWorld,
  callerOf,
  FIXTURES,
  writeMark,
  type Caller,
  type FixtureRequest,
  type World,
} from '../support/route-fixtures.js';

/**
 * Issue 24: every rule the database holds on a clinical table is a rule the service checks first. This file
 * reads every CHECK, NOT NULL and foreign-key constraint of those tables from pg_catalog; each one is mapped
 * below to the requests that would break it on every route writing its columns (or to why no request can
 * reach it). Each breaking request must answer a 4xx naming the body field that broke it, and write nothing.
 * A new constraint without a mapping fails the first test.
 */

const CLINICAL_TABLES = [
  'patient',
  'patient_identity',
  'consent_event',
  'index_operation',
  'ecmo_run',
  'complication',
  'hospital_outcome',
  'follow_up_protocol',
  'follow_up_visit',
  'follow_up_assessment',
  'appointment',
];

type Body = Record<string, unknown>;

interface Context {
  readonly target: FixtureRequest;
  /** The record the request names (its GET), for values relative to it. */
  read(): Promise<Body>;
  readonly world: World;
}

interface Breach {
  readonly route: string;
  /** What this request does wrong, as a person would say it. */
  readonly what: string;
  change(payload: Body, context: Context): Body | Promise<Body>;
  /** The field the answer must name: the path in the body sent. */
  readonly field: string;
  /** 400: a field's own shape (validation); 422: a rule across fields or records; 404: a reference not found. */
  readonly status: 400 | 404 | 422;
  /** A change made first (through the API), so that the record is in the state the breach needs. */
  prepare?(context: Context): Promise<FixtureRequest>;
}

/** Either the requests that break a constraint, or why no request can. */
type Mapping = readonly Breach[] | { readonly serverSet: string };

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function set(payload: Body, path: string, value: unknown): Body {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...payload, [head]: value };
  return { ...payload, [head]: set((payload[head] ?? {}) as Body, rest.join('.'), value) };
}

function drop(payload: Body, path: string): Body {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) {
    const copy = { ...payload };
    delete copy[head];
    return copy;
  }
  return { ...payload, [head]: drop(payload[head] as Body, rest.join('.')) };
}

const ENROL = 'POST /patients';
const RUNS = 'POST /patients/:patientId/ecmo-runs';
const RUN = 'PATCH /patients/:patientId/ecmo-runs/:recordId';
const RUN_VOID = 'POST /patients/:patientId/ecmo-runs/:recordId/void';
const OPERATION = 'PATCH /patients/:patientId/operation/:recordId';
const CONSENTS = 'POST /patients/:patientId/consent-events';
const CONSENT_VOID = 'POST /patients/:patientId/consent-events/:recordId/void';
const COMPLICATIONS = 'POST /patients/:patientId/complications';
const COMPLICATION = 'PATCH /patients/:patientId/complications/:recordId';
const COMPLICATION_VOID = 'POST /patients/:patientId/complications/:recordId/void';
const OUTCOMES = 'POST /patients/:patientId/outcome';
const OUTCOME = 'PATCH /patients/:patientId/outcome/:recordId';
const OUTCOME_VOID = 'POST /patients/:patientId/outcome/:recordId/void';
const ASSESSMENTS = 'POST /patients/:patientId/assessments';
const ASSESSMENT = 'PATCH /patients/:patientId/assessments/:recordId';
const ASSESSMENT_VOID = 'POST /patients/:patientId/assessments/:recordId/void';
const BOOK = 'POST /patients/:patientId/appointments';
const MOVE = 'PATCH /patients/:patientId/appointments/:recordId';
const CANCEL = 'POST /patients/:patientId/appointments/:recordId/cancel';
const PATIENT = 'PATCH /patients/:patientId';
const IDENTITY = 'PATCH /patients/:patientId/identity';
const TRANSFER = 'POST /patients/:patientId/transfer';
const PLAN = 'PATCH /patients/:patientId/follow-up';
const PROTOCOLS = 'POST /follow-up/protocols';

/** The field sent with a value of its own shape that the database refuses (400). */
const shape = (route: string, field: string, value: unknown, what?: string): Breach => ({
  route,
  what: what ?? `${field} = ${JSON.stringify(value)}`,
  change: (p) => set(p, field, value),
  field,
  status: 400,
});
/** A required field left out (400). */
const without = (route: string, field: string): Breach => ({
  route,
  what: `without ${field}`,
  change: (p) => drop(p, field),
  field,
  status: 400,
});
/** A field that must hold a value, patched to null (400). */
const nulled = (route: string, field: string): Breach => ({
  route,
  what: `${field} patched to null`,
  change: (p) => set(p, field, null),
  field,
  status: 400,
});
/** Values valid alone, wrong together (422). */
const together = (route: string, what: string, change: Breach['change'], field: string): Breach => ({
  route,
  what,
  change,
  field,
  status: 422,
});
const blankReason = (route: string): Breach => shape(route, 'reason', '   ', 'a void reason of white space');
const noReason = (route: string): Breach => without(route, 'reason');
/** Both shape breaches of a plain column on the routes that write it, nested under `prefix` on enrolment. */
const everywhere = (routes: readonly string[], field: string, value: unknown, enrolAs?: string): Breach[] => [
  ...(enrolAs ? [shape(ENROL, `${enrolAs}.${field}`, value)] : []),
  ...routes.map((route) => shape(route, field, value)),
];
const required = (post: string | null, patch: string | null, field: string, enrolAs?: string): Breach[] => [
  ...(enrolAs ? [without(ENROL, `${enrolAs}.${field}`)] : []),
  ...(post ? [without(post, field)] : []),
  ...(patch ? [nulled(patch, field)] : []),
];

const SERVER_SET = {
  serverSet: 'set by the service, never from a request body',
} as const;
const PATIENT_FROM_PATH = {
  serverSet: 'the patient comes from the path: an unknown or other-site patient answers 404 before any write',
} as const;

/** A run of the fixture's patient that has ended: its end set first (If-Match then names version 2). */
const endedRun = async (context: Context): Promise<FixtureRequest> => {
  const run = await context.read();
  const startedAt = Date.parse(run.startedAt as string);
  const response = await context.world.app.inject({
    method: 'PATCH',
    url: context.target.url,
    headers: { ...context.target.headers, ...bearer(context.world.nurseToken.own) },
    payload: { endedAt: iso(startedAt + 24 * HOUR), endReason: 'weaned', reason: 'ended in the morning' },
  });
  if (response.statusCode !== 200) throw new Error(`ending the run: ${response.statusCode} ${response.body}`);
  return { ...context.target, headers: { 'if-match': '"2"' } };
};

const runStart = async (p: Body, c: Context) => Date.parse((await c.read()).startedAt as string);

export const CONSTRAINTS: Record<string, Mapping> = {
  // patient
  patient_age_at_ecmo_start_check: [
    together(
      ENROL,
      'born in 1890',
      (p) => set(p, 'identity.dateOfBirth', '1890-01-01'),
      'identity.dateOfBirth',
    ),
    together(
      ENROL,
      'born after the run',
      (p) => set(p, 'identity.dateOfBirth', '2099-01-01'),
      'identity.dateOfBirth',
    ),
    together(IDENTITY, 'born in 1890', (p) => set(p, 'dateOfBirth', '1890-01-01'), 'dateOfBirth'),
    together(
      IDENTITY,
      'born after the run',
      (p) => set(p, 'dateOfBirth', iso(Date.now()).slice(0, 10)),
      'dateOfBirth',
    ),
  ],
  patient_eligibility_failures_check: SERVER_SET,
  patient_missing_check: SERVER_SET,
  patient_registry_id_check: SERVER_SET,
  patient_registry_number_check: SERVER_SET,
  patient_version_check: SERVER_SET,
  patient_protocol_version_fkey: {
    serverSet: 'the current protocol at enrolment; a change of protocol is checked by the plan route (below)',
  },
  patient_mdt_decision_by_check: [
    shape(ENROL, 'mdtDecision.decidedBy', '   '),
    {
      ...shape(PATIENT, 'mdtDecision.decidedBy', '  '),
      change: (p) => set(p, 'mdtDecision', { decidedAt: iso(Date.now() - 30 * 24 * HOUR), decidedBy: '  ' }),
    },
  ],
  patient_enrolment_site_id_fkey: [
    // Site isolation: a site the caller does not work at is not found, whether it exists or not.
    { ...shape(ENROL, 'siteId', randomUUID(), 'a site that does not exist'), status: 404 },
  ],
  patient_site_id_fkey: [
    { ...shape(TRANSFER, 'siteId', randomUUID(), 'a site that does not exist'), status: 422 },
  ],
  'patient.sex NOT NULL': [...required(ENROL, PATIENT, 'sex')],
  'patient.age_at_ecmo_start NOT NULL': [
    without(ENROL, 'identity.dateOfBirth'),
    nulled(IDENTITY, 'dateOfBirth'),
  ],
  'patient.site_id NOT NULL': { serverSet: 'the enrolling user’s site, or a transfer’s (required, checked)' },
  'patient.enrolment_site_id NOT NULL': SERVER_SET,
  'patient.registry_number NOT NULL': SERVER_SET,
  'patient.registry_id NOT NULL': SERVER_SET,

  // patient_identity
  patient_identity_id_fkey: SERVER_SET,
  patient_identity_version_check: SERVER_SET,
  patient_identity_reminder_channel_check: everywhere([IDENTITY], 'reminderChannel', 'fax', 'identity'),
  'patient_identity.id NOT NULL': SERVER_SET,
  'patient_identity.nhs_number NOT NULL': required(null, IDENTITY, 'nhsNumber', 'identity'),
  'patient_identity.family_name NOT NULL': required(null, IDENTITY, 'familyName', 'identity'),
  'patient_identity.given_name NOT NULL': required(null, IDENTITY, 'givenName', 'identity'),
  'patient_identity.date_of_birth NOT NULL': required(null, IDENTITY, 'dateOfBirth', 'identity'),
  'patient_identity.reminder_channel NOT NULL': required(null, IDENTITY, 'reminderChannel', 'identity'),

  // consent_event
  consent_event_check: [noReason(CONSENT_VOID)],
  consent_event_void_reason_check: [blankReason(CONSENT_VOID)],
  consent_event_check1: [
    together(
      CONSENTS,
      'emergency enrolment without the independent doctor',
      (p) => ({ ...p, kind: 'emergency_enrolment' }),
      'independentDoctor',
    ),
    together(
      CONSENTS,
      'the patient’s consent naming an independent doctor',
      (p) => ({ ...p, independentDoctor: 'Dr X' }),
      'independentDoctor',
    ),
    together(
      ENROL,
      'emergency enrolment without the independent doctor',
      (p) => drop(p, 'consent.independentDoctor'),
      'consent.independentDoctor',
    ),
  ],
  consent_event_check2: [
    together(
      CONSENTS,
      'consultee advice without who or what',
      (p) => ({ ...p, kind: 'consultee_advice' }),
      'consulteeType',
    ),
    together(
      CONSENTS,
      'consent naming a consultee',
      (p) => ({ ...p, consulteeType: 'personal' }),
      'consulteeType',
    ),
  ],
  consent_event_check3: [
    together(
      CONSENTS,
      'a withdrawal without its level',
      (p) => ({ ...p, kind: 'withdrawal' }),
      'withdrawalLevel',
    ),
    together(
      CONSENTS,
      'a consent with a withdrawal level',
      (p) => ({ ...p, withdrawalLevel: 'b' }),
      'withdrawalLevel',
    ),
  ],
  consent_event_consultee_type_check: [shape(CONSENTS, 'consulteeType', 'friend')],
  consent_event_independent_doctor_check: [
    shape(ENROL, 'consent.independentDoctor', '   '),
    {
      ...shape(CONSENTS, 'independentDoctor', ' '),
      change: (p) => ({ ...p, kind: 'emergency_enrolment', independentDoctor: ' ' }),
    },
  ],
  consent_event_kind_check: everywhere([CONSENTS], 'kind', 'opt_out', 'consent'),
  consent_event_withdrawal_level_check: [
    {
      ...shape(CONSENTS, 'withdrawalLevel', 'd'),
      change: (p) => ({ ...p, kind: 'withdrawal', withdrawalLevel: 'd' }),
    },
  ],
  consent_event_missing_check: SERVER_SET,
  consent_event_patient_id_fkey: PATIENT_FROM_PATH,
  consent_event_version_check: SERVER_SET,
  'consent_event.patient_id NOT NULL': PATIENT_FROM_PATH,
  'consent_event.kind NOT NULL': required(CONSENTS, null, 'kind', 'consent'),
  'consent_event.occurred_at NOT NULL': required(CONSENTS, null, 'occurredAt', 'consent'),

  // index_operation
  index_operation_bypass_minutes_check: everywhere([OPERATION], 'bypassMinutes', 2001, 'operation'),
  index_operation_cross_clamp_minutes_check: everywhere([OPERATION], 'crossClampMinutes', 1001, 'operation'),
  index_operation_euroscore_ii_check: everywhere([OPERATION], 'euroscoreIi', 100.5, 'operation'),
  index_operation_check: {
    serverSet: 'the index operation is corrected, never voided: no route sets its void',
  },
  index_operation_void_reason_check: { serverSet: 'the index operation is corrected, never voided' },
  index_operation_missing_check: SERVER_SET,
  index_operation_patient_id_fkey: SERVER_SET,
  index_operation_version_check: SERVER_SET,
  'index_operation.patient_id NOT NULL': SERVER_SET,
  'index_operation.operation_date NOT NULL': required(null, OPERATION, 'operationDate', 'operation'),
  'index_operation.category NOT NULL': required(null, OPERATION, 'category', 'operation'),

  // ecmo_run
  ecmo_run_check: [noReason(RUN_VOID)],
  ecmo_run_void_reason_check: [blankReason(RUN_VOID)],
  ecmo_run_check1: [
    together(
      ENROL,
      'a run ending as it starts',
      (p) => set(set(p, 'ecmoRun.endedAt', (p.ecmoRun as Body).startedAt), 'ecmoRun.endReason', 'weaned'),
      'ecmoRun.endedAt',
    ),
    together(
      RUNS,
      'a run ending before it starts',
      (p) => ({ ...p, endedAt: iso(Date.parse(p.startedAt as string) - HOUR), endReason: 'weaned' }),
      'endedAt',
    ),
    together(
      RUNS,
      'a run ending as it starts',
      (p) => ({ ...p, endedAt: p.startedAt, endReason: 'weaned' }),
      'endedAt',
    ),
    together(
      RUN,
      'its end set before its start',
      async (p, c) => ({ ...p, endedAt: iso((await runStart(p, c)) - HOUR), endReason: 'weaned' }),
      'endedAt',
    ),
    {
      ...together(
        RUN,
        'its start moved after its end',
        async (p, c) => ({ ...p, startedAt: iso((await runStart(p, c)) + 30 * HOUR) }),
        'startedAt',
      ),
      prepare: endedRun,
    },
  ],
  ecmo_run_check2: [
    together(
      ENROL,
      'an end without its reason',
      (p) => set(p, 'ecmoRun.endedAt', iso(Date.parse((p.ecmoRun as Body).startedAt as string) + 24 * HOUR)),
      'ecmoRun.endReason',
    ),
    together(
      ENROL,
      'an end reason without its end',
      (p) => set(p, 'ecmoRun.endReason', 'weaned'),
      'ecmoRun.endedAt',
    ),
    together(
      RUNS,
      'an end without its reason',
      (p) => ({ ...p, endedAt: iso(Date.parse(p.startedAt as string) + 24 * HOUR) }),
      'endReason',
    ),
    together(RUNS, 'an end reason without its end', (p) => ({ ...p, endReason: 'weaned' }), 'endedAt'),
    together(
      RUN,
      'an end reason on a run that has not ended',
      (p) => ({ ...p, endReason: 'weaned' }),
      'endedAt',
    ),
    {
      ...together(RUN, 'the end reason removed', (p) => ({ ...p, endReason: null }), 'endReason'),
      prepare: endedRun,
    },
    { ...together(RUN, 'the end removed', (p) => ({ ...p, endedAt: null }), 'endedAt'), prepare: endedRun },
  ],
  ecmo_run_pre_lactate_check: everywhere([RUNS, RUN], 'preLactate', 31, 'ecmoRun'),
  ecmo_run_pre_ph_check: everywhere([RUNS, RUN], 'prePh', 8.1, 'ecmoRun'),
  ecmo_run_pre_vis_check: everywhere([RUNS, RUN], 'preVis', 1001, 'ecmoRun'),
  ecmo_run_missing_check: SERVER_SET,
  ecmo_run_patient_id_fkey: PATIENT_FROM_PATH,
  ecmo_run_version_check: SERVER_SET,
  'ecmo_run.patient_id NOT NULL': PATIENT_FROM_PATH,
  'ecmo_run.started_at NOT NULL': required(RUNS, RUN, 'startedAt', 'ecmoRun'),
  'ecmo_run.mode NOT NULL': required(RUNS, RUN, 'mode', 'ecmoRun'),
  'ecmo_run.start_location NOT NULL': required(RUNS, RUN, 'startLocation', 'ecmoRun'),
  'ecmo_run.started_for NOT NULL': required(RUNS, RUN, 'startedFor', 'ecmoRun'),

  // complication
  complication_check: [noReason(COMPLICATION_VOID)],
  complication_void_reason_check: [blankReason(COMPLICATION_VOID)],
  complication_description_check: everywhere([COMPLICATIONS, COMPLICATION], 'description', '  '),
  complication_grade_check: everywhere([COMPLICATIONS, COMPLICATION], 'grade', 6),
  complication_run_of_patient: [
    together(
      COMPLICATIONS,
      'a run of another patient',
      (p, c) => ({ ...p, ecmoRunId: c.world.patient.own.runId }),
      'ecmoRunId',
    ),
    together(
      COMPLICATION,
      'a run of another patient',
      (p, c) => ({ ...p, ecmoRunId: c.world.patient.own.runId }),
      'ecmoRunId',
    ),
  ],
  complication_missing_check: SERVER_SET,
  complication_patient_id_fkey: PATIENT_FROM_PATH,
  complication_version_check: SERVER_SET,
  'complication.patient_id NOT NULL': PATIENT_FROM_PATH,
  'complication.code NOT NULL': required(COMPLICATIONS, COMPLICATION, 'code'),
  'complication.onset_at NOT NULL': required(COMPLICATIONS, COMPLICATION, 'onsetAt'),

  // hospital_outcome
  hospital_outcome_check: [noReason(OUTCOME_VOID)],
  hospital_outcome_void_reason_check: [blankReason(OUTCOME_VOID)],
  hospital_outcome_check1: [
    together(
      OUTCOMES,
      'a death with a discharge destination',
      (p) => ({ ...p, kind: 'death' }),
      'destination',
    ),
    together(
      OUTCOME,
      'a death with a discharge destination',
      (p) => ({ ...p, kind: 'death' }),
      'destination',
    ),
  ],
  hospital_outcome_check2: [
    together(
      OUTCOMES,
      'a discharge with a cause of death',
      (p) => ({ ...p, causeOfDeath: 'cardiac' }),
      'causeOfDeath',
    ),
    together(
      OUTCOME,
      'a discharge with a cause of death',
      (p) => ({ ...p, causeOfDeath: 'cardiac' }),
      'causeOfDeath',
    ),
  ],
  hospital_outcome_kind_check: everywhere([OUTCOMES, OUTCOME], 'kind', 'transfer'),
  hospital_outcome_missing_check: SERVER_SET,
  hospital_outcome_patient_id_fkey: PATIENT_FROM_PATH,
  hospital_outcome_version_check: SERVER_SET,
  'hospital_outcome.patient_id NOT NULL': PATIENT_FROM_PATH,
  'hospital_outcome.kind NOT NULL': required(OUTCOMES, OUTCOME, 'kind'),
  'hospital_outcome.occurred_at NOT NULL': required(OUTCOMES, OUTCOME, 'occurredAt'),

  // follow_up_protocol
  follow_up_protocol_title_check: [shape(PROTOCOLS, 'title', '   ')],
  follow_up_protocol_visits_check: [shape(PROTOCOLS, 'visits', [])],
  follow_up_protocol_version_check: SERVER_SET,
  'follow_up_protocol.title NOT NULL': [without(PROTOCOLS, 'title')],
  'follow_up_protocol.visits NOT NULL': [without(PROTOCOLS, 'visits')],
  'follow_up_protocol.version NOT NULL': SERVER_SET,
  'follow_up_protocol.published_by NOT NULL': SERVER_SET,

  // follow_up_visit: planned by the service from the protocol
  follow_up_visit_anchor_check: SERVER_SET,
  follow_up_visit_check: SERVER_SET,
  follow_up_visit_check1: SERVER_SET,
  follow_up_visit_check2: SERVER_SET,
  follow_up_visit_sequence_check: SERVER_SET,
  follow_up_visit_status_check: SERVER_SET,
  follow_up_visit_status_reason_check: SERVER_SET,
  follow_up_visit_version_check: SERVER_SET,
  follow_up_visit_patient_id_fkey: PATIENT_FROM_PATH,
  follow_up_visit_protocol_version_fkey: [
    { ...shape(PLAN, 'protocolVersion', 9999, 'a protocol that does not exist'), status: 422 },
  ],
  'follow_up_visit.patient_id NOT NULL': PATIENT_FROM_PATH,
  'follow_up_visit.protocol_version NOT NULL': [nulled(PLAN, 'protocolVersion')],
  'follow_up_visit.code NOT NULL': SERVER_SET,
  'follow_up_visit.label NOT NULL': SERVER_SET,
  'follow_up_visit.sequence NOT NULL': SERVER_SET,
  'follow_up_visit.anchor NOT NULL': SERVER_SET,
  'follow_up_visit.status NOT NULL': SERVER_SET,

  // follow_up_assessment
  follow_up_assessment_check: [noReason(ASSESSMENT_VOID)],
  follow_up_assessment_void_reason_check: [blankReason(ASSESSMENT_VOID)],
  follow_up_assessment_cause_detail_check: [
    {
      ...shape(ASSESSMENTS, 'causeDetail', '  '),
      change: (p) => ({
        ...p,
        vitalStatus: 'dead',
        diedOn: p.assessedOn,
        causeOfDeath: 'other',
        mrs: 6,
        causeDetail: '  ',
      }),
    },
    shape(ASSESSMENT, 'causeDetail', '  '),
  ],
  follow_up_assessment_check1: [
    together(ASSESSMENTS, 'alive with a date of death', (p) => ({ ...p, diedOn: p.assessedOn }), 'diedOn'),
    together(
      ASSESSMENT,
      'alive with a cause of death',
      (p) => ({ ...p, causeOfDeath: 'cardiac' }),
      'causeOfDeath',
    ),
  ],
  follow_up_assessment_eq5d_anxiety_depression_check: everywhere(
    [ASSESSMENTS, ASSESSMENT],
    'eq5dAnxietyDepression',
    6,
  ),
  follow_up_assessment_eq5d_mobility_check: everywhere([ASSESSMENTS, ASSESSMENT], 'eq5dMobility', 0),
  follow_up_assessment_eq5d_pain_discomfort_check: everywhere(
    [ASSESSMENTS, ASSESSMENT],
    'eq5dPainDiscomfort',
    6,
  ),
  follow_up_assessment_eq5d_self_care_check: everywhere([ASSESSMENTS, ASSESSMENT], 'eq5dSelfCare', 6),
  follow_up_assessment_eq5d_usual_activities_check: everywhere(
    [ASSESSMENTS, ASSESSMENT],
    'eq5dUsualActivities',
    6,
  ),
  follow_up_assessment_eq_vas_check: everywhere([ASSESSMENTS, ASSESSMENT], 'eqVas', 101),
  follow_up_assessment_mrs_check: everywhere([ASSESSMENTS, ASSESSMENT], 'mrs', 7),
  follow_up_assessment_nyha_check: everywhere([ASSESSMENTS, ASSESSMENT], 'nyha', 5),
  follow_up_assessment_readmissions_check: everywhere([ASSESSMENTS, ASSESSMENT], 'readmissions', 51),
  follow_up_assessment_return_to_work_check: everywhere(
    [ASSESSMENTS, ASSESSMENT],
    'returnToWork',
    'sometimes',
  ),
  follow_up_assessment_source_check: everywhere([ASSESSMENTS, ASSESSMENT], 'source', 'email'),
  follow_up_assessment_vital_status_check: everywhere([ASSESSMENTS, ASSESSMENT], 'vitalStatus', 'unknown'),
  follow_up_assessment_visit_of_patient: [
    together(
      ASSESSMENTS,
      'a visit of another patient',
      async (p, c) => ({ ...p, visitId: await visitOf(c, c.world.patient.own.id) }),
      'visitId',
    ),
    {
      ...together(
        ASSESSMENTS,
        'a visit that does not exist',
        (p) => ({ ...p, visitId: randomUUID() }),
        'visitId',
      ),
    },
  ],
  follow_up_assessment_missing_check: SERVER_SET,
  follow_up_assessment_patient_id_fkey: PATIENT_FROM_PATH,
  follow_up_assessment_version_check: SERVER_SET,
  'follow_up_assessment.patient_id NOT NULL': PATIENT_FROM_PATH,
  'follow_up_assessment.visit_id NOT NULL': required(ASSESSMENTS, null, 'visitId'),
  'follow_up_assessment.assessed_on NOT NULL': required(ASSESSMENTS, ASSESSMENT, 'assessedOn'),
  'follow_up_assessment.source NOT NULL': required(ASSESSMENTS, ASSESSMENT, 'source'),
  'follow_up_assessment.vital_status NOT NULL': required(ASSESSMENTS, ASSESSMENT, 'vitalStatus'),

  // appointment
  appointment_cancel_reason_check: [shape(CANCEL, 'reason', '   ')],
  appointment_check: [without(CANCEL, 'reason')],
  appointment_local_time_check: everywhere([BOOK, MOVE], 'time', '24:00'),
  appointment_mode_check: everywhere([BOOK, MOVE], 'mode', 'pigeon'),
  appointment_place_check: everywhere([BOOK, MOVE], 'place', '  '),
  appointment_status_check: SERVER_SET,
  appointment_version_check: SERVER_SET,
  appointment_patient_id_fkey: PATIENT_FROM_PATH,
  appointment_visit_id_fkey: [
    { ...together(BOOK, 'a visit that does not exist', (p) => ({ ...p, visitId: randomUUID() }), 'visitId') },
    together(
      BOOK,
      'a visit of another patient',
      async (p, c) => ({ ...p, visitId: await visitOf(c, c.world.patient.own.id) }),
      'visitId',
    ),
  ],
  'appointment.patient_id NOT NULL': PATIENT_FROM_PATH,
  'appointment.visit_id NOT NULL': required(BOOK, null, 'visitId'),
  'appointment.local_date NOT NULL': required(BOOK, MOVE, 'date'),
  'appointment.local_time NOT NULL': required(BOOK, MOVE, 'time'),
  'appointment.zone NOT NULL': SERVER_SET,
  'appointment.starts_at NOT NULL': SERVER_SET,
  'appointment.mode NOT NULL': required(BOOK, MOVE, 'mode'),
  'appointment.status NOT NULL': SERVER_SET,
};

/** A visit of the given patient (the shared one at our site), by id. */
async function visitOf(context: Context, patientId: string): Promise<string> {
  const plan = await context.world.app.inject({
    method: 'GET',
    url: `/patients/${patientId}/follow-up`,
    headers: bearer(context.world.nurseToken.own),
  });
  return plan.json<{ visits: Array<{ id: string }> }>().visits[0].id;
}

describe('every database rule of the clinical tables is a rule the service checks first', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let world: World;
  let tokens: Record<Caller, string>;
  let routes: RouteAccess[];
  let database: Awaited<ReturnType<typeof usePrivateDatabase>>;

  beforeAll(async () => {
    database = await usePrivateDatabase('rules');
    app = await startApi();
    db = await connect('owner');
    ({ world, tokens, routes } = await buildWorld(app));
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.release();
  });

  /** Every CHECK and foreign key by name, and every NOT NULL column without a default as `table.column NOT NULL`. */
  async function constraints(): Promise<string[]> {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.conname AS name
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1) AND c.contype IN ('c', 'f')
       UNION ALL
       SELECT t.relname || '.' || a.attname || ' NOT NULL'
         FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
        WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
          AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
       ORDER BY 1`,
      [CLINICAL_TABLES],
    );
    return rows.map((r) => r.name);
  }

  it('maps every constraint of the clinical tables to the requests that break it (or says why none can)', async () => {
    const names = await constraints();
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((name) => !(name in CONSTRAINTS))).toEqual([]);
    // And nothing mapped that the database no longer has.
    expect(Object.keys(CONSTRAINTS).filter((name) => !names.includes(name))).toEqual([]);
  });

  const mark = () => writeMark(db);

  it('answers every breaking request with a 4xx naming the body field, and writes nothing', async () => {
    const callerFor = (name: string): Caller =>
      callerOf(routes.find((r) => `${r.method} ${r.path}` === name));
    const answers: string[] = [];
    const expected: string[] = [];
    for (const [constraint, mapping] of Object.entries(CONSTRAINTS)) {
      if (!Array.isArray(mapping)) continue;
      for (const breach of mapping as readonly Breach[]) {
        const [method] = breach.route.split(' ');
        let target = await FIXTURES[breach.route].request(world, 'own');
        const context: Context = {
          target,
          world,
          read: async () =>
            (
              await app.inject({
                method: 'GET',
                url: target.url.replace(/\/(void|cancel)$/, ''),
                headers: bearer(tokens.research_nurse),
              })
            ).json<Body>(),
        };
        if (breach.prepare) target = await breach.prepare(context);
        const payload = await breach.change(target.payload ?? {}, { ...context, target });
        const before = await mark();
        const response = await app.inject({
          method: method as 'POST',
          url: target.url,
          headers: { ...target.headers, ...bearer(tokens[callerFor(breach.route)]) },
          payload,
        });
        const written = (await mark()) !== before;
        const errors =
          response.statusCode < 500
            ? (response.json<{ errors?: Array<{ field: string }> }>().errors ?? [])
            : [];
        const named = errors.some((e) => e.field === breach.field);
        const line = `${constraint}: ${breach.route}, ${breach.what}:`;
        expected.push(`${line} ${breach.status} naming ${breach.field}, nothing written`);
        answers.push(
          `${line} ${response.statusCode} ${named || breach.status === 404 ? `naming ${breach.field}` : `naming ${errors.map((e) => e.field).join(', ') || 'nothing'} (${response.body.slice(0, 200)})`}${written ? ', something written' : ', nothing written'}`,
        );
      }
    }
    expect(answers).toEqual(expected);
  }, 600_000);
});
