export { FOLLOW_UP_ENTITIES, FollowUpProtocol, FollowUpVisit } from './entities.js';
export {
  FollowUpCoreModule,
  FollowUpModule,
  FollowUpServicesModule,
  FollowUpWorkerModule,
} from './followup.module.js';
export {
  FollowUpService,
  type FollowUpPlanView,
  type ProtocolView,
  type VisitView,
} from './follow-up.service.js';
export { type AssessmentView } from './assessments/assessments.js';
export {
  type AppointmentView,
  type AppointmentWithReminders,
  type ReminderView,
} from './appointments/appointments.js';
export {
  WorklistService,
  type Worklist,
  type AppointmentRef,
  type ClinicListItem,
} from './worklist/worklist.js';
export { CLOCK_ACTOR, FollowUpClock } from './visits/clock.js';
export { FollowUpPlanner } from './visits/planner.js';
export * from './rules/visits.js';
export { ReminderReconciler } from './reminders/reminder-reconciler.js';
export { ReminderSender } from './reminders/reminder-sender.js';
export { publishedProtocols } from './follow-up.queries.js';
