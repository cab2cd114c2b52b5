import type pg from 'pg';
import type { AppConfig } from '../../libs/config/src/index.js';
import { AuditService } from '../../libs/audit/src/audit.service.js';
import { assessmentProblems, followUpDeathOn } from '../../libs/followup/src/rules/assessments.js';
import {
  plannedVisits,
  visitDates,
  visitState,
  type ProtocolVisit,
} from '../../libs/followup/src/rules/visits.js';
import { anchorsOf, endsOf } from '../../libs/followup/src/visits/planner.js';
import type {
  Complication,
  EcmoRun,
  HospitalOutcome,
  IndexOperation,
  Patient,
} from '../../libs/registry/src/patients/entities.js';
import { eligibilityFactsOf } from '../../libs/registry/src/patients/patient-changes.js';
import { PatientIdentities } from '../../libs/registry/src/patients/patient-identities.js';
import { identityProblems } from '../../libs/registry/src/patients/patients.service.js';
import {
  consentEventProblem,
  consentStatus,
  type ConsentEventFacts,
} from '../../libs/registry/src/rules/consent.js';
import { ageInYears, eligibilityFailures } from '../../libs/registry/src/rules/eligibility.js';
import { londonDay } from '../../libs/time/src/instant.js';
import {
  datedAfterWithdrawal,
  deathInstant,
  timelineProblems,
} from '../../libs/registry/src/rules/timeline.js';
import { type PatientRecords } from '../../libs/registry/src/index.js';

/** Tables whose every row the audit trigger records with an INSERT row when it is written. */
export const AUDITED_TABLES = [
  'patient',
  'patient_identity',
  'consent_event',
  'index_operation',
  'ecmo_run',
  'complication',
  'hospital_outcome',
  'follow_up_visit',
  'follow_up_assessment',
] as const;

export interface CohortScope {
  /** The cohort: every patient whose current site has one of these codes. */
  readonly siteCodes: readonly string[];
  /** The instant the cohort was loaded at (the planner's and the rules' clock). */
  readonly now: Date;
  /** With the identity keys, sealed identities are opened and their hashes and derived age checked. */
  readonly config?: AppConfig;
}

interface PatientRow {
  id: string;
  registry_id: string;
  registry_number: number;
  enrolment_code: string;
  sex: string;
  age_at_ecmo_start: number;
  mdt_decision_at: Date | null;
  eligibility_failures: unknown[];
  consent_state: string | null;
  counting_only_since: Date | null;
  contact_withdrawn_at: Date | null;
  data_collection_withdrawn_at: Date | null;
  export_withdrawn_at: Date | null;
  synthetic: boolean;
  protocol_version: number | null;
  extended_follow_up: boolean;
  lost_to_follow_up_on: string | null;
}

interface VisitRow {
  id: string;
  patient_id: string;
  protocol_version: number;
  code: string;
  label: string;
  sequence: number;
  anchor: string;
  due_on: string | null;
  opens_on: string | null;
  closes_on: string | null;
  status: string;
  status_reason: string | null;
}

interface AssessmentRow {
  id: string;
  patient_id: string;
  visit_id: string;
  assessed_on: string;
  vital_status: 'alive' | 'dead';
  died_on: string | null;
  mrs: number | null;
  voided_at: Date | null;
}

type Rows = Array<Record<string, unknown> & { id: string; patient_id: string }>;

/** Where each sealed identity field is stored. */
const IDENTITY_COLUMNS = {
  nhsNumber: 'nhs_number',
  familyName: 'family_name',
  givenName: 'given_name',
  dateOfBirth: 'date_of_birth',
  phone: 'phone',
  email: 'email',
  address: 'address',
} as const;

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function groupBy<T extends { patient_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const list = map.get(row.patient_id);
    if (list) list.push(row);
    else map.set(row.patient_id, [row]);
  }
  return map;
}

/**
 * What the registry's services guarantee of every patient they wrote, checked over a cohort however it was
 * loaded (through the services, or in bulk by COPY): one message per broken invariant, none when all hold.
 *
 * - the patient: synthetic, registry ID from the enrolling site's code and number, eligible, the consent
 *   columns derived from the consent timeline, which the consent rules accept event by event;
 * - the timeline (the services' own rule): operation ≤ run start < end ≤ outcome, complications within their
 *   run (of the same patient), nothing in the future;
 * - identity: a sealed identity row for everyone; a key row (one per NHS number hash) for everyone not
 *   declined, none for a declined patient (kept only as a count: the key is destroyed, the identity can no
 *   longer be opened or matched), the key events in the trail; with the keys, the identity opens, its hashes
 *   are those `PatientIdentities` makes, the age and eligibility follow from its date of birth;
 * - the audit trail: an INSERT row for every row of every audited table;
 * - follow-up: the patient's protocol version; the visits the planner plans from the anchors, their days and
 *   state as the planner's rules give them on `now`'s day; completed exactly when a live assessment exists,
 *   one per visit, on a visit of the patient's plan, accepted by the assessment rules; a declined patient's
 *   visits not required, with no assessment; nothing collected after a level (b) withdrawal.
 */
export async function cohortInvariantProblems(db: pg.Client, scope: CohortScope): Promise<string[]> {
  const problems: string[] = [];
  const today = londonDay(scope.now);
  const { rows: patients } = await db.query<PatientRow>(
    `SELECT p.id, p.registry_id, p.registry_number, es.code AS enrolment_code, p.sex, p.age_at_ecmo_start,
            p.mdt_decision_at, p.eligibility_failures, p.consent_state, p.counting_only_since,
            p.contact_withdrawn_at, p.data_collection_withdrawn_at, p.export_withdrawn_at, p.synthetic,
            p.protocol_version, p.extended_follow_up, p.lost_to_follow_up_on::text
       FROM patient p JOIN site s ON s.id = p.site_id JOIN site es ON es.id = p.enrolment_site_id
      WHERE s.code = ANY($1) ORDER BY p.registry_id`,
    [scope.siteCodes],
  );
  if (patients.length === 0) return ['the cohort has no patients'];
  const ids = patients.map((p) => p.id);
  const byPatient = async (sql: string): Promise<Rows> => (await db.query<Rows[number]>(sql, [ids])).rows;
  const keys = await byPatient(
    `SELECT patient_id AS id, patient_id, key_id, wrapped_key, nhs_number_hash, name_dob_hash FROM patient_key WHERE patient_id = ANY($1)`,
  );
  const identities = await byPatient(`SELECT *, id AS patient_id FROM patient_identity WHERE id = ANY($1)`);
  const consent = await byPatient(
    `SELECT * FROM consent_event WHERE patient_id = ANY($1) ORDER BY occurred_at, created_at`,
  );
  const operations = await byPatient(
    `SELECT id, patient_id, voided_at, operation_date::text FROM index_operation WHERE patient_id = ANY($1)`,
  );
  const runs = await byPatient(`SELECT * FROM ecmo_run WHERE patient_id = ANY($1) ORDER BY started_at`);
  const complications = await byPatient(
    `SELECT * FROM complication WHERE patient_id = ANY($1) ORDER BY onset_at`,
  );
  const outcomes = await byPatient(`SELECT * FROM hospital_outcome WHERE patient_id = ANY($1)`);
  const visits = (await byPatient(
    `SELECT id, patient_id, protocol_version, code, label, sequence, anchor, due_on::text, opens_on::text,
            closes_on::text, status, status_reason
       FROM follow_up_visit WHERE patient_id = ANY($1)`,
  )) as unknown as VisitRow[];
  const assessments = (await byPatient(
    `SELECT id, patient_id, visit_id, assessed_on::text, vital_status, died_on::text, mrs, voided_at
       FROM follow_up_assessment WHERE patient_id = ANY($1) ORDER BY assessed_on, created_at`,
  )) as unknown as AssessmentRow[];
  const { rows: protocolRows } = await db.query<{ version: number; visits: ProtocolVisit[] }>(
    `SELECT version, visits FROM follow_up_protocol`,
  );
  const protocols = new Map(protocolRows.map((p) => [p.version, p.visits]));

  // The audit trail: an INSERT row for every row written, and the key events of PatientIdentities.
  const rowsOf: Record<(typeof AUDITED_TABLES)[number], ReadonlyArray<{ id: string }>> = {
    patient: patients,
    patient_identity: identities,
    consent_event: consent,
    index_operation: operations,
    ecmo_run: runs,
    complication: complications,
    hospital_outcome: outcomes,
    follow_up_visit: visits,
    follow_up_assessment: assessments,
  };
  for (const table of AUDITED_TABLES) {
    const rowIds = rowsOf[table].map((r) => r.id);
    const { rows } = await db.query<{ entity_id: string }>(
      `SELECT DISTINCT entity_id FROM audit_event
        WHERE entity_type = $1 AND action = 'insert' AND entity_id = ANY($2::text[])`,
      [table, rowIds],
    );
    const audited = new Set(rows.map((r) => r.entity_id));
    const missing = rowIds.filter((id) => !audited.has(id));
    if (missing.length > 0)
      problems.push(`${table}: ${missing.length} row(s) without their audit INSERT row`);
  }
  const { rows: keyEvents } = await db.query<{ action: string; entity_id: string }>(
    `SELECT action, entity_id FROM audit_event WHERE entity_type = 'patient_key' AND entity_id = ANY($1::text[])`,
    [ids],
  );

  const hashes = keys.map((k) => (k.nhs_number_hash as Buffer).toString('hex'));
  if (new Set(hashes).size !== hashes.length) problems.push('two key rows share an NHS number hash');

  const sealed = scope.config ? new PatientIdentities(scope.config, new AuditService()) : null;
  const keyOf = new Map(keys.map((k) => [k.patient_id, k]));
  const identityOf = new Map(identities.map((i) => [i.id, i]));
  const consentOf = groupBy(consent);
  const operationsOf = groupBy(operations);
  const runsOf = groupBy(runs);
  const complicationsOf = groupBy(complications);
  const outcomesOf = groupBy(outcomes);
  const visitsOf = groupBy(visits);
  const assessmentsOf = groupBy(assessments);
  const live = <T extends Record<string, unknown>>(rows: T[] | undefined): T[] =>
    (rows ?? []).filter((r) => r.voided_at === null);

  for (const p of patients) {
    const problem = (what: string): void => {
      problems.push(`${p.registry_id}: ${what}`);
    };
    const declined = p.counting_only_since !== null;
    if (!p.synthetic) problem('not marked synthetic');
    if (p.registry_id !== `${p.enrolment_code}-${String(p.registry_number).padStart(4, '0')}`) {
      problem(`registry ID is not the enrolling site's code and number ${p.registry_number}`);
    }
    if (JSON.stringify(p.eligibility_failures) !== '[]') problem('flagged ineligible');

    // Consent: accepted event by event, and the patient's consent columns are derived from it.
    const events: ConsentEventFacts[] = live(consentOf.get(p.id)).map((e) => ({
      kind: e.kind as ConsentEventFacts['kind'],
      occurredAt: e.occurred_at as Date,
      consulteeAgreed: e.consultee_agreed as boolean | null,
      withdrawalLevel: e.withdrawal_level as ConsentEventFacts['withdrawalLevel'],
    }));
    if (events.length === 0) problem('no consent event');
    events.forEach((event, i) => {
      const refused = consentEventProblem(consentStatus(events.slice(0, i)), event);
      if (refused) problem(`consent event ${i + 1} (${event.kind}) would be refused: ${refused}`);
    });
    const status = consentStatus(events);
    const derived = {
      state: status.state,
      countingOnlySince: iso(status.countingOnlySince),
      contactWithdrawnAt: iso(status.contactWithdrawnAt),
      dataCollectionWithdrawnAt: iso(status.dataCollectionWithdrawnAt),
      exportWithdrawnAt: iso(status.exportWithdrawnAt),
    };
    const stored = {
      state: p.consent_state,
      countingOnlySince: iso(p.counting_only_since),
      contactWithdrawnAt: iso(p.contact_withdrawn_at),
      dataCollectionWithdrawnAt: iso(p.data_collection_withdrawn_at),
      exportWithdrawnAt: iso(p.export_withdrawn_at),
    };
    if (JSON.stringify(derived) !== JSON.stringify(stored)) {
      problem(
        `consent columns ${JSON.stringify(stored)} differ from the timeline's ${JSON.stringify(derived)}`,
      );
    }

    // The clinical timeline, by the services' own rule and spelled out.
    const ops = live(operationsOf.get(p.id));
    const patientRuns = live(runsOf.get(p.id));
    const patientComplications = live(complicationsOf.get(p.id));
    const patientOutcomes = live(outcomesOf.get(p.id));
    if (ops.length !== 1) problem(`${ops.length} live index operations`);
    if (patientRuns.length === 0) problem('no ECMO run');
    if (patientOutcomes.length > 1) problem('two live hospital outcomes');
    const records = {
      operation: (ops[0] ?? null) as unknown as IndexOperation | null,
      runs: patientRuns.map((r) => ({
        id: r.id,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        endReason: r.end_reason,
        mode: r.mode,
        startLocation: r.start_location,
        startedFor: r.started_for,
      })) as unknown as EcmoRun[],
      complications: patientComplications.map((c) => ({
        id: c.id,
        onsetAt: c.onset_at,
        ecmoRunId: c.ecmo_run_id,
      })) as unknown as Complication[],
      outcome: (patientOutcomes[0]
        ? {
            id: patientOutcomes[0].id,
            kind: patientOutcomes[0].kind,
            occurredAt: patientOutcomes[0].occurred_at,
          }
        : null) as unknown as HospitalOutcome | null,
    } satisfies PatientRecords;
    const operationDate = (ops[0]?.operation_date as string | undefined) ?? null;
    for (const t of timelineProblems(
      { operationDate, runs: records.runs, complications: records.complications, outcome: records.outcome },
      scope.now,
    )) {
      problem(`timeline: ${t.field} ${t.reason}`);
    }
    const run = records.runs[0];
    if (run && operationDate && londonDay(run.startedAt) < operationDate)
      problem('ECMO starts before the operation');
    for (const r of records.runs) {
      if (r.endedAt && r.endedAt <= r.startedAt) problem('an ECMO run ends before it starts');
      if (records.outcome && (!r.endedAt || r.endedAt > records.outcome.occurredAt)) {
        problem('an ECMO run ends after the hospital outcome');
      }
    }
    for (const c of records.complications) {
      const on = records.runs.find((r) => r.id === c.ecmoRunId);
      if (!on) problem('a complication is not on one of the patient’s runs');
      else if (c.onsetAt < on.startedAt || (on.endedAt !== null && c.onsetAt > on.endedAt)) {
        problem('a complication is dated outside its run');
      }
    }

    // Identity and keys: crypto-shredded on a decline, else sealed and matchable as the services make them.
    const key = keyOf.get(p.id);
    const identity = identityOf.get(p.id);
    const keyActions = keyEvents.filter((e) => e.entity_id === p.id).map((e) => e.action);
    if (!identity) problem('no sealed identity row');
    if (!keyActions.includes('patient_key.created')) problem('no patient_key.created event');
    if (declined) {
      if (key) problem('declined, yet the key row (identity and hashes) is still there');
      if (!keyActions.includes('patient_key.destroyed'))
        problem('declined without a patient_key.destroyed event');
    } else if (!key) {
      problem('no key row: the identity cannot be opened');
    } else if (sealed && identity) {
      const dataKey = sealed.keyring.unwrap(
        { keyId: key.key_id as string, wrapped: key.wrapped_key as string },
        p.id,
      );
      const open = (field: keyof typeof IDENTITY_COLUMNS): string | null => {
        const value = identity[IDENTITY_COLUMNS[field]] as string | null;
        return value === null ? null : sealed.keyring.open(dataKey, p.id, field, value);
      };
      const nhsNumber = open('nhsNumber')!;
      const familyName = open('familyName')!;
      const dateOfBirth = open('dateOfBirth')!;
      if (!sealed.nhsNumberHash(nhsNumber).equals(key.nhs_number_hash as Buffer)) {
        problem('the NHS number hash is not the sealed NHS number’s');
      }
      if (!sealed.nameDobHash(familyName, dateOfBirth).equals(key.name_dob_hash as Buffer)) {
        problem('the name and date of birth hash is not the sealed identity’s');
      }
      const contact = identityProblems(
        {
          reminderChannel: identity.reminder_channel as string,
          phone: open('phone'),
          email: open('email'),
        },
        '',
      );
      if (contact.length > 0) problem(`identity: ${contact.map((c) => `${c.field} ${c.reason}`).join('; ')}`);
      if (run) {
        if (ageInYears(dateOfBirth, run.startedAt) !== p.age_at_ecmo_start)
          problem('age at ECMO start is not derived');
        if (ops[0]) {
          const facts = eligibilityFactsOf(
            dateOfBirth,
            { mdtDecisionAt: p.mdt_decision_at },
            { operationDate: operationDate! },
            run,
          );
          const failures = eligibilityFailures(facts);
          if (failures.length > 0) problem(`not eligible: ${failures.map((f) => f.message).join('; ')}`);
        }
      }
    }

    // Follow-up: the planner's visits, completed by their assessments, accepted by the assessment rules.
    const definitions = p.protocol_version === null ? undefined : protocols.get(p.protocol_version);
    if (!definitions) {
      problem('no published protocol version');
      continue;
    }
    const patientVisits = (visitsOf.get(p.id) ?? []).filter((v) => v.protocol_version === p.protocol_version);
    const liveAssessments = (assessmentsOf.get(p.id) ?? []).filter((a) => a.voided_at === null);
    const anchors = anchorsOf(records);
    const planned = plannedVisits(definitions, anchors, p.extended_follow_up);
    const codes = (list: ReadonlyArray<{ code: string }>) =>
      list
        .map((v) => v.code)
        .sort()
        .join(',');
    if (planned.length > 0 && codes(planned) !== codes(patientVisits)) {
      problem(`visits ${codes(patientVisits)}, the planner plans ${codes(planned)}`);
    }
    if (planned.length === 0 && patientVisits.length > 0) problem('visits planned without an anchor');
    const completed = new Set(liveAssessments.map((a) => a.visit_id));
    if (completed.size !== liveAssessments.length) problem('two live assessments of one visit');
    const planPatient = {
      countingOnlySince: p.counting_only_since,
      dataCollectionWithdrawnAt: p.data_collection_withdrawn_at,
      lostToFollowUpOn: p.lost_to_follow_up_on,
    } as Patient;
    const ends = endsOf(planPatient, records, followUpDeathOn(liveAssessments.map(toFacts)));
    for (const visit of patientVisits) {
      const definition = definitions.find((d) => d.code === visit.code);
      if (!definition) {
        problem(`visit ${visit.code} is not in protocol ${p.protocol_version}`);
        continue;
      }
      const expectedSequence = definitions.indexOf(definition) + 1;
      if (
        visit.sequence !== expectedSequence ||
        visit.label !== definition.label ||
        visit.anchor !== definition.anchor
      ) {
        problem(`visit ${visit.code}: sequence, label or anchor differ from the protocol`);
      }
      const isCompleted = completed.has(visit.id);
      if ((visit.status === 'completed') !== isCompleted) {
        problem(`visit ${visit.code} is ${visit.status} with${isCompleted ? '' : 'out'} a live assessment`);
      }
      const dates = { dueOn: visit.due_on, opensOn: visit.opens_on, closesOn: visit.closes_on };
      if (!isCompleted) {
        const expected = visitDates(definition, anchors);
        if (JSON.stringify(expected) !== JSON.stringify(dates)) {
          problem(
            `visit ${visit.code} dated ${JSON.stringify(dates)}, the anchors give ${JSON.stringify(expected)}`,
          );
        }
      }
      const state = visitState(dates, { completed: isCompleted, booked: false }, ends, today);
      if (state.status !== visit.status || state.reason !== visit.status_reason) {
        problem(
          `visit ${visit.code} is ${visit.status}/${visit.status_reason}, the rules say ${state.status}/${state.reason}`,
        );
      }
      if (declined && visit.status_reason !== 'declined')
        problem(`declined, yet visit ${visit.code} is ${visit.status}`);
    }
    if (declined && liveAssessments.length > 0) problem('declined, yet assessed');
    for (const a of liveAssessments) {
      const visit = patientVisits.find((v) => v.id === a.visit_id);
      if (!visit) problem('an assessment is not on a visit of the patient’s plan');
      const withdrawnAt = p.data_collection_withdrawn_at;
      if (withdrawnAt && datedAfterWithdrawal(a.assessed_on, withdrawnAt)) {
        problem('an assessment is dated after the withdrawal from data collection');
      }
    }
    const death = deathInstant(records);
    const dischargeOn = records.outcome?.kind === 'discharge' ? londonDay(records.outcome.occurredAt) : null;
    for (const a of assessmentProblems({
      today,
      operationDate,
      dischargeOn,
      hospitalDeathOn: death ? londonDay(death) : null,
      assessments: liveAssessments.map(toFacts),
    })) {
      problem(`assessment: ${a.field} ${a.reason}`);
    }
  }
  return problems;
}

function toFacts(a: AssessmentRow) {
  return { id: a.id, assessedOn: a.assessed_on, vitalStatus: a.vital_status, diedOn: a.died_on, mrs: a.mrs };
}
