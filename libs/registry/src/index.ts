export { RegistryModule } from './registry.module.js';
export { VALUE_SET_ENTITIES, ValueSetCode, ValueSetVersion } from './value-sets/value-set.entities.js';
export { ValueSets, type CodeView, type ValueSetView } from './value-sets/value-sets.js';
export { REGISTRY_ENTITIES } from './patients/entities.js';
export { PatientIdentities, type Identity } from './patients/patient-identities.js';
export { PatientsService } from './patients/patients.service.js';
export { ClinicalRecordsService, type RecordSpec } from './patients/records.service.js';
export { rotateIdentityKeys } from './patients/rotate-keys.js';
export { PatientExtensions, type PatientChangeHook, type PatientSummaryPart } from './patients/extensions.js';
export {
  findPatient,
  loadRecords,
  lockPatient,
  PatientChanges,
  type PatientRecords,
} from './patients/patient-changes.js';
export { Patient, EcmoRun, HospitalOutcome } from './patients/entities.js';
export { deathInstant } from './rules/timeline.js';
export { londonCalendarDate } from './rules/instant.js';
export { CLINICAL_READERS, CLINICAL_STAFF, IF_MATCH_HEADER } from './patients/patients.controller.js';
export { IsCalendarDate, IsInstant, IsMissingReasons } from './patients/validation.js';
export { etagOf, IfMatch, assertStaleFree, assertUpdated } from './patients/versioning.js';
export { MISSING_DOC, PatientParams, ReasonDto, RecordParams } from './patients/dto.js';
export type { MissingReasonChanges } from './patients/dto.js';
export { ClinicalRecord, type MissingReasons } from './patients/entities.js';
export { reasonsOf } from './patients/dto.js';
export { recordBase } from './patients/views.js';
