export { RegistryModule, RegistryServicesModule } from './registry.module.js';
export { EnrolmentDrafts, type EnrolmentDraft } from './drafts/enrolment-drafts.js';
export { VALUE_SET_ENTITIES, ValueSetCode, ValueSetVersion } from './value-sets/value-set.entities.js';
export { ValueSets, type CodeView, type ValueSetView } from './value-sets/value-sets.js';
export { ClinicalRecord, Patient, REGISTRY_ENTITIES } from './patients/entities.js';
export { PatientIdentities, type Identity } from './patients/patient-identities.js';
export { PatientsService, type IdentityView, type TransferView } from './patients/patients.service.js';
export { PatientHistory, type HistoryEntry } from './patients/history.js';
export {
  ClinicalRecordsService,
  COMPLICATION,
  countingOnly,
  ECMO_RUN,
  OUTCOME,
  type RecordSpec,
} from './patients/records.service.js';
export { rotateIdentityKeys } from './patients/rotate-keys.js';
export {
  PatientExtensions,
  type PatientChangeHook,
  type PatientSummaryPart,
  SharedReads,
  type DeathSource,
  type HistoryRecord,
  type ListCondition,
  type HistorySource,
  type SharedRead,
  type SettledChange,
} from './patients/extensions.js';
export { PatientChanges } from './patients/patient-changes.js';
export { currentPatient, findPatient, loadRecords } from './patients/patients.queries.js';
export type { ExtensionRecordKind, PatientRecords, WrittenKind } from './patients/patient-records.js';
export type { ExpectedFields } from './rules/completeness.js';
export { deathInstant } from './rules/timeline.js';
export { IF_MATCH_HEADER } from './patients/patients.controller.js';
export { IsCalendarDate, isCalendarDate, IsMissingReasons } from './patients/validation.js';
export { etagOf, IfMatch, assertStaleFree, assertUpdated, StaleEdit, tagged } from './patients/versioning.js';
export {
  CORRECTION_REASON_DOC,
  MISSING_DOC,
  type MissingReasonChanges,
  ComplicationDto,
  ConsentEventDto,
  CorrectComplicationDto,
  CorrectEcmoRunDto,
  CorrectOutcomeDto,
  EcmoRunDto,
  EnrolPatientDto,
  IdentityDto,
  MdtDecisionDto,
  OperationDto,
  OutcomeDto,
  PatientListQuery,
  PatientParams,
  PatientSearchDto,
  ReasonDto,
  RecordParams,
} from './patients/dto.js';
export {
  recordBase,
  type ComplicationView,
  type ConsentEventView,
  type OperationView,
  type OutcomeView,
  type CountingSetView,
  type DerivedFacts,
  type PatientListItem,
  type PatientSummary,
  type RecordBase,
  type RunView,
} from './patients/views.js';
export { loadCohort } from './synthetic/load-cohort.js';
export {
  changeFollowUpFields,
  lockPatientRow,
  PATIENT_REFS,
  setProtocolVersion,
  type FollowUpFields,
  reminderChannelOf,
  reminderContact,
  siteOfPatient,
  consentToSeek,
  inpatientsWithoutOutcome,
  incompleteRecords,
  type PatientWorkItem,
  type ConsentToSeekItem,
  type InpatientItem,
  type IncompleteRecordItem,
} from './patients/patient-directory.js';
export { currentValueSetCodes } from './value-sets/value-sets.queries.js';
