import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnrolmentDrafts } from './drafts/enrolment-drafts.js';
import { REGISTRY_ENTITIES } from './patients/entities.js';
import { PatientExtensions } from './patients/extensions.js';
import { PatientHistory } from './patients/history.js';
import { PatientChanges } from './patients/patient-changes.js';
import { PatientIdentities } from './patients/patient-identities.js';
import { PatientsController } from './patients/patients.controller.js';
import { PatientsService } from './patients/patients.service.js';
import { ClinicalRecordsController } from './patients/records.controller.js';
import { ClinicalRecordsService } from './patients/records.service.js';
import { VALUE_SET_ENTITIES } from './value-sets/value-set.entities.js';
import { ValueSets } from './value-sets/value-sets.js';
import { ValueSetsController } from './value-sets/value-sets.controller.js';

/**
 * The registry's clinical core (issue 4): value sets, patients with their identities kept apart, the
 * consent timeline, operation, ECMO runs, complications, hospital outcome, and their history. The services
 * only: the api adds its controllers (RegistryModule), the web application its pages.
 */
@Module({
  imports: [TypeOrmModule.forFeature([...VALUE_SET_ENTITIES, ...REGISTRY_ENTITIES])],
  providers: [
    ValueSets,
    PatientIdentities,
    PatientExtensions,
    PatientChanges,
    PatientsService,
    ClinicalRecordsService,
    PatientHistory,
    EnrolmentDrafts,
  ],
  exports: [
    ValueSets,
    PatientIdentities,
    PatientExtensions,
    PatientChanges,
    PatientsService,
    ClinicalRecordsService,
    PatientHistory,
    EnrolmentDrafts,
  ],
})
export class RegistryServicesModule {}

/** The registry's services with the api's controllers. */
@Module({
  imports: [RegistryServicesModule],
  controllers: [ValueSetsController, PatientsController, ClinicalRecordsController],
  exports: [RegistryServicesModule],
})
export class RegistryModule {}
