import { Foundation1795460000000 } from './1795460000000-Foundation.js';
import { Access1795470000000 } from './1795470000000-Access.js';
import { MfaChallenge1795480000000 } from './1795480000000-MfaChallenge.js';
import { ValueSets1795490000000 } from './1795490000000-ValueSets.js';
import { RegistryCore1795500000000 } from './1795500000000-RegistryCore.js';
import { FollowUp1795510000000 } from './1795510000000-FollowUp.js';
import { FollowUpAssessment1795520000000 } from './1795520000000-FollowUpAssessment.js';
import { Appointment1795530000000 } from './1795530000000-Appointment.js';
import { Reminders1795540000000 } from './1795540000000-Reminders.js';
import { SiteFollowUpPhone1795550000000 } from './1795550000000-SiteFollowUpPhone.js';
import { NurseDigest1795560000000 } from './1795560000000-NurseDigest.js';
import { AuditExport1795570000000 } from './1795570000000-AuditExport.js';
import { ReminderAppointmentIndex1795580000000 } from './1795580000000-ReminderAppointmentIndex.js';
import { RecordPatientIndexes1795590000000 } from './1795590000000-RecordPatientIndexes.js';
import { RecordsOfSamePatient1795600000000 } from './1795600000000-RecordsOfSamePatient.js';
import { ReminderOncePerDate1795610000000 } from './1795610000000-ReminderOncePerDate.js';
import { SiteRegion1795620000000 } from './1795620000000-SiteRegion.js';
import { ExportPublicationProfile1795630000000 } from './1795630000000-ExportPublicationProfile.js';
import { WebSession1795640000000 } from './1795640000000-WebSession.js';
import { EnrolmentDraft1795650000000 } from './1795650000000-EnrolmentDraft.js';

/**
 * Every migration, oldest first. The apps compare this list with schema_migrations at boot and refuse to
 * start when one is missing; a unit test fails when a file in this folder is not listed here.
 */
export const MIGRATIONS = [
  Foundation1795460000000,
  Access1795470000000,
  MfaChallenge1795480000000,
  ValueSets1795490000000,
  RegistryCore1795500000000,
  FollowUp1795510000000,
  FollowUpAssessment1795520000000,
  Appointment1795530000000,
  Reminders1795540000000,
  SiteFollowUpPhone1795550000000,
  NurseDigest1795560000000,
  AuditExport1795570000000,
  ReminderAppointmentIndex1795580000000,
  RecordPatientIndexes1795590000000,
  RecordsOfSamePatient1795600000000,
  ReminderOncePerDate1795610000000,
  SiteRegion1795620000000,
  ExportPublicationProfile1795630000000,
  WebSession1795640000000,
  EnrolmentDraft1795650000000,
];
