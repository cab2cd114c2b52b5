import { randomUUID } from 'node:crypto';
import type {
  Complication,
  ConsentEvent,
  EcmoRun,
  HospitalOutcome,
  IndexOperation,
  Patient,
  PatientIdentity,
  PatientKey,
} from '../../libs/registry/src/patients/entities.js';
import { reasonsOf } from '../../libs/registry/src/patients/dto.js';
import { eligibilityFactsOf } from '../../libs/registry/src/patients/patient-changes.js';
import type { Identity, PatientIdentities } from '../../libs/registry/src/patients/patient-identities.js';
import { identityProblems } from '../../libs/registry/src/patients/patients.service.js';
import {
  complicationFields,
  consentFields,
  operationFields,
  outcomeFields,
  runFields,
} from '../../libs/registry/src/patients/record-fields.js';
import { consentEventProblem, consentStatus } from '../../libs/registry/src/rules/consent.js';
import { ageInYears, eligibilityFailures } from '../../libs/registry/src/rules/eligibility.js';
import { timelineProblems } from '../../libs/registry/src/rules/timeline.js';
import { syntheticPatient, type SyntheticPatient } from '../../libs/registry/src/synthetic/cohort.js';
import {
  Draws,
  planFollowUp,
  type AssessmentRow,
  type ProtocolVersion,
  type Row,
  type VisitRow,
} from './follow-up.js';
import { type PatientRecords } from '../../libs/registry/src/index.js';

/** The patient row before the loader gives it its site and registry number (allocated in the transaction). */
export type PatientDraft = Omit<Row<Patient>, 'siteId' | 'enrolmentSiteId' | 'registryNumber' | 'registryId'>;

/** What `PatientIdentities` records in the trail about a key (its id only, never key material). */
export interface KeyEvent {
  readonly patientId: string;
  readonly action: 'patient_key.created' | 'patient_key.destroyed';
  readonly keyId: string;
}

/** Every row one synthetic patient gives, with the ids that join them. */
export interface BuiltPatient {
  readonly index: number;
  readonly siteIndex: number;
  readonly source: SyntheticPatient;
  readonly nhsNumberHash: Buffer;
  readonly patient: PatientDraft;
  /** Null once declined: the key row is deleted (crypto-shredding), the sealed identity stays unreadable. */
  readonly key: Row<PatientKey> | null;
  readonly identity: Row<PatientIdentity>;
  readonly consentEvents: Array<Row<ConsentEvent>>;
  readonly operation: Row<IndexOperation>;
  readonly run: Row<EcmoRun>;
  readonly complications: Array<Row<Complication>>;
  readonly outcome: Row<HospitalOutcome> | null;
  readonly visits: VisitRow[];
  readonly assessments: AssessmentRow[];
  readonly keyEvents: KeyEvent[];
  /** A death recorded at a follow-up assessment (London day). */
  readonly followUpDeathOn: string | null;
}

export interface BuildContext {
  readonly seed: number;
  readonly sites: number;
  /** The synthetic cohort's `now`: its facts are dated up to it. */
  readonly cohortNow: Date;
  /** The generator's `now` (server clock of the rules) and its London day (follow-up's today). */
  readonly now: Date;
  readonly today: string;
  readonly protocol: ProtocolVersion;
  readonly identities: PatientIdentities;
  /** Share (0-1) of the patients discharged alive on extended (yearly) follow-up. */
  readonly extendedFollowUp: number;
  readonly assess: boolean;
  readonly newId?: () => string;
}

const recordColumns = { missing: {}, version: 1, voidedAt: null, voidReason: null } as const;

/**
 * One synthetic patient (issue 4's seeded generator, `syntheticPatient`) as the rows the services would
 * leave after `loadCohort` fed it to them: `PatientsService.enrol` (patient, key, sealed identity, operation,
 * run, first consent event, the protocol version), then `ClinicalRecordsService` for each later consent
 * event (the consent columns re-derived, the key destroyed on a decline), complication (on the index run) and
 * the hospital outcome; the follow-up visits the planner plans and, beyond what the services were given, the
 * assessments of past windows (see `planFollowUp`). DTO fields become columns through the services' own
 * mappers (`operationFields`, `runFields`, …), identities are sealed and hashed by `PatientIdentities`, and
 * the services' rules (consent order, eligibility, timeline, contact details, assessments) are checked: a
 * patient they would refuse throws, so a bulk load never holds what the api could not have written.
 */
export function buildPatient(index: number, ctx: BuildContext): BuiltPatient {
  const newId = ctx.newId ?? randomUUID;
  const source = syntheticPatient(index, { seed: ctx.seed, now: ctx.cohortNow, sites: ctx.sites });
  const { enrolment } = source;
  const patientId = newId();
  const runId = newId();
  const problems: string[] = [];

  // Consent: the enrolment's event, then the later ones in order, each accepted by the services' rule.
  const consentDtos = [
    enrolment.consent,
    ...source.steps.flatMap((s) => (s.kind === 'consent' ? [s.body] : [])),
  ];
  const consent = consentDtos.map((dto) => consentFields(dto));
  consent.forEach((event, i) => {
    const problem = consentEventProblem(consentStatus(consent.slice(0, i)), event);
    if (problem) problems.push(`consent event ${i + 1}: ${problem}`);
    if (i > 0 && event.occurredAt < consent[i - 1].occurredAt)
      problems.push(`consent event ${i + 1} out of order`);
  });
  const status = consentStatus(consent);
  const declined = status.countingOnlySince !== null;

  const operation: Row<IndexOperation> = {
    id: newId(),
    patientId,
    ...operationFields(enrolment.operation),
    ...recordColumns,
    missing: reasonsOf(enrolment.operation.missing),
  };
  const runValues = runFields(enrolment.ecmoRun);
  const run: Row<EcmoRun> = {
    id: runId,
    patientId,
    ...runValues,
    endedAt: runValues.endedAt ?? null,
    endReason: runValues.endReason ?? null,
    ...recordColumns,
    missing: reasonsOf(enrolment.ecmoRun.missing),
  };
  const complications = source.steps.flatMap((step): Array<Row<Complication>> => {
    if (step.kind !== 'complication') return [];
    return [
      {
        id: newId(),
        patientId,
        ...complicationFields({ ...step.body, ecmoRunId: runId }),
        ...recordColumns,
        missing: reasonsOf(step.body.missing),
      },
    ];
  });
  const outcomeStep = source.steps.find((s) => s.kind === 'outcome');
  const outcomeValues = outcomeStep?.kind === 'outcome' ? outcomeFields(outcomeStep.body) : null;
  const outcome: Row<HospitalOutcome> | null =
    outcomeStep?.kind === 'outcome' && outcomeValues
      ? {
          id: newId(),
          patientId,
          ...outcomeValues,
          destination: outcomeValues.destination ?? null,
          causeOfDeath: outcomeValues.causeOfDeath ?? null,
          causeDetail: outcomeValues.causeDetail ?? null,
          ...recordColumns,
          missing: reasonsOf(outcomeStep.body.missing),
        }
      : null;

  // Identity, as PatientsService's identityOf and PatientIdentities.create/sealAll make it.
  const id = enrolment.identity;
  const identity: Identity = {
    nhsNumber: id.nhsNumber,
    familyName: id.familyName.trim(),
    givenName: id.givenName.trim(),
    dateOfBirth: id.dateOfBirth,
    phone: id.phone ?? null,
    email: id.email ?? null,
    address: id.address ?? null,
    reminderChannel: id.reminderChannel,
  };
  problems.push(...identityProblems(identity, 'identity.').map((p) => `${p.field} ${p.reason}`));
  const { keyring } = ctx.identities;
  const dataKey = keyring.newDataKey();
  const wrapped = keyring.wrap(dataKey, patientId);
  const sealed = ctx.identities.sealAll(dataKey, patientId, identity);
  const nhsNumberHash = ctx.identities.nhsNumberHash(identity.nhsNumber);
  const key: Row<PatientKey> | null = declined
    ? null
    : {
        patientId,
        keyId: wrapped.keyId,
        wrappedKey: wrapped.wrapped,
        nhsNumberHash,
        nameDobHash: ctx.identities.nameDobHash(identity.familyName, identity.dateOfBirth),
        rotatedAt: null,
      };
  const keyEvents: KeyEvent[] = [{ patientId, action: 'patient_key.created', keyId: wrapped.keyId }];
  if (declined) keyEvents.push({ patientId, action: 'patient_key.destroyed', keyId: wrapped.keyId });

  const mdtDecisionAt = enrolment.mdtDecision ? new Date(enrolment.mdtDecision.decidedAt) : null;
  const failures = eligibilityFailures(
    eligibilityFactsOf(identity.dateOfBirth, { mdtDecisionAt }, operation, run),
  );
  problems.push(...failures.map((f) => `not eligible: ${f.message}`));
  problems.push(
    ...timelineProblems(
      { operationDate: operation.operationDate, runs: [run], complications, outcome },
      ctx.now,
    ).map((p) => `${p.field} ${p.reason}`),
  );
  if (problems.length > 0) {
    throw new Error(
      `bulk generator: synthetic patient ${index} breaks the services' rules: ${problems.join('; ')}`,
    );
  }

  const draw = new Draws(ctx.seed, index);
  const patient: PatientDraft = {
    id: patientId,
    sex: enrolment.sex,
    ageAtEcmoStart: ageInYears(identity.dateOfBirth, run.startedAt),
    mdtDecisionAt,
    mdtDecisionBy: enrolment.mdtDecision?.decidedBy ?? null,
    eligibilityFailures: [],
    consentState: status.state,
    countingOnlySince: status.countingOnlySince,
    contactWithdrawnAt: status.contactWithdrawnAt,
    dataCollectionWithdrawnAt: status.dataCollectionWithdrawnAt,
    exportWithdrawnAt: status.exportWithdrawnAt,
    synthetic: true,
    protocolVersion: ctx.protocol.version,
    extendedFollowUp:
      !declined &&
      outcome?.kind === 'discharge' &&
      ctx.extendedFollowUp > 0 &&
      draw.chance(ctx.extendedFollowUp),
    lostToFollowUpOn: null,
    missing: {},
    version: 1,
  };

  const records = {
    operation,
    runs: [run],
    complications,
    outcome,
  } as unknown as PatientRecords;
  const followUp = planFollowUp({
    patient,
    records,
    protocol: ctx.protocol,
    today: ctx.today,
    assess: ctx.assess,
    draw,
    newId,
  });

  return {
    index,
    siteIndex: source.siteIndex,
    source,
    nhsNumberHash,
    patient,
    key,
    identity: {
      id: patientId,
      ...sealed,
      reminderChannel: identity.reminderChannel,
      version: 1,
    },
    consentEvents: consent.map((facts) => ({ id: newId(), patientId, ...facts, ...recordColumns })),
    operation,
    run,
    complications,
    outcome,
    visits: followUp.visits,
    assessments: followUp.assessments,
    keyEvents,
    followUpDeathOn: followUp.deathOn,
  };
}
