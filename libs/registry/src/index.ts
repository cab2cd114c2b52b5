export { RegistryModule } from './registry.module.js';
export { VALUE_SET_ENTITIES, ValueSetCode, ValueSetVersion } from './value-sets/value-set.entities.js';
export { ValueSets, type CodeView, type ValueSetView } from './value-sets/value-sets.js';
export { REGISTRY_ENTITIES } from './patients/entities.js';
export { PatientIdentities, type Identity } from './patients/patient-identities.js';
export { PatientsService } from './patients/patients.service.js';
export { ClinicalRecordsService } from './patients/records.service.js';
export { rotateIdentityKeys } from './patients/rotate-keys.js';
