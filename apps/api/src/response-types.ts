/**
 * The api's answers, named: the OpenAPI document describes each operation's 2xx answer with one of these
 * (apps/api/src/responses.ts maps operations to them). They are the types the services and views return,
 * so the compiler holds the code to them; `npm run openapi` turns them into JSON Schema
 * (ts-json-schema-generator), committed as apps/api/src/response-schemas.json.
 */
import type {
  ApiKeyView,
  PasswordStepResult,
  PasswordToken,
  SiteView,
  TokenPair,
  UserView,
} from '../../../libs/access/src/index.js';
import type { ExportView } from '../../../libs/exports/src/index.js';
import type {
  AppointmentWithReminders,
  AssessmentView,
  ClinicListItem,
  FollowUpPlanView,
  ProtocolView,
  Worklist,
} from '../../../libs/followup/src/index.js';
import type {
  ComplicationView,
  ConsentEventView,
  CountingSetView,
  HistoryEntry,
  IdentityView,
  OperationView,
  OutcomeView,
  PatientListItem,
  PatientSummary,
  RunView,
  TransferView,
  ValueSetView,
} from '../../../libs/registry/src/index.js';

export type {
  ApiKeyView,
  AppointmentWithReminders,
  AssessmentView,
  ClinicListItem,
  ComplicationView,
  ConsentEventView,
  ExportView,
  FollowUpPlanView,
  HistoryEntry,
  IdentityView,
  OperationView,
  OutcomeView,
  PasswordStepResult,
  PasswordToken,
  PatientListItem,
  ProtocolView,
  RunView,
  SiteView,
  TokenPair,
  TransferView,
  UserView,
  ValueSetView,
  Worklist,
};

/** The first sign-in step's answer: the second factor asked for, or an authenticator to enrol. */
export type SignInStep = PasswordStepResult;

/** A patient's summary, with the follow-up plan the follow-up module adds to it. */
export interface PatientRecord extends PatientSummary {
  readonly followUp: FollowUpPlanView;
}

/** GET /patients/:id: the whole record, or only the counting set of a patient who declined. */
export type PatientAnswer = PatientRecord | CountingSetView;

/** The first sign-in with an authenticator enrolled: the tokens and the recovery codes, shown once. */
export interface EnrolledTokens extends TokenPair {
  readonly recoveryCodes: string[];
}

/** Who is signed in: a user, or an API key's service account. */
export type Me = UserView | { readonly apiKeyId: string; readonly roles: readonly string[] };

export interface UserCreated {
  readonly user: UserView;
  readonly passwordSetup: PasswordToken;
}

export interface ApiKeyCreated {
  readonly apiKey: ApiKeyView;
  /** The key itself: shown once. */
  readonly key: string;
}
