import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistryServicesModule } from '../../registry/src/index.js';
import { AppointmentsController } from './appointments/appointments.controller.js';
import { AppointmentsService, FollowUpAppointments } from './appointments/appointments.js';
import { AssessmentsController } from './assessments/assessments.controller.js';
import { FollowUpAssessments } from './assessments/assessments.js';
import { FOLLOW_UP_ENTITIES } from './entities.js';
import { PatientFollowUpController, ProtocolsController } from './follow-up.controller.js';
import { FollowUpService } from './follow-up.service.js';
import { FollowUpClock, FollowUpClockHandler } from './visits/clock.js';
import { FollowUpPlanner } from './visits/planner.js';
import { ReminderPlanner } from './reminders/reminder-planner.js';
import { ReminderReconciler } from './reminders/reminder-reconciler.js';
import { ReminderSender } from './reminders/reminder-sender.js';
import { PatientIdentities } from '../../registry/src/index.js';
import { WorklistService } from './worklist/worklist.js';
import { ClinicListController, WorklistController } from './worklist/worklist.controller.js';
import { NurseDigestHandler, NurseDigests } from './worklist/digest.js';

/** What both the api and the worker need: the entities, the one planner of visits and of reminders. */
@Module({
  imports: [TypeOrmModule.forFeature(FOLLOW_UP_ENTITIES)],
  providers: [FollowUpPlanner, ReminderPlanner, FollowUpAssessments, FollowUpAppointments, FollowUpClock],
  exports: [FollowUpPlanner, FollowUpAssessments, FollowUpAppointments, FollowUpClock],
})
export class FollowUpCoreModule {}

/**
 * Follow-up (issue 5) in the api and in services that change patients: protocols, each patient's plan and
 * visits, replanned inside every change to the patient's record.
 */
@Module({
  imports: [RegistryServicesModule, FollowUpCoreModule],
  providers: [FollowUpService, AppointmentsService, WorklistService],
  exports: [FollowUpService, AppointmentsService, WorklistService, FollowUpCoreModule],
})
export class FollowUpServicesModule {}

/** Follow-up's services with the api's controllers. */
@Module({
  imports: [RegistryServicesModule, FollowUpServicesModule],
  controllers: [
    ProtocolsController,
    PatientFollowUpController,
    AssessmentsController,
    AppointmentsController,
    WorklistController,
    ClinicListController,
  ],
  exports: [FollowUpServicesModule],
})
export class FollowUpModule {}

/**
 * Follow-up in the worker: the clock that moves visits as their windows open and close, the reminder sender
 * (which opens a patient's contact details, and only those, to send), the reminder reconciler and the nurses'
 * daily digest.
 */
@Module({
  imports: [FollowUpCoreModule],
  providers: [
    FollowUpClockHandler,
    PatientIdentities,
    ReminderSender,
    ReminderReconciler,
    WorklistService,
    NurseDigests,
    NurseDigestHandler,
  ],
})
export class FollowUpWorkerModule {}
