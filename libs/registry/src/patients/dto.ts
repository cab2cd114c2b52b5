import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CONSENT_EVENT_KINDS,
  CONSENT_STATES,
  type ConsentEventKind,
  type ConsentState,
  type WithdrawalLevel,
} from '../rules/consent.js';
import { IsCalendarDate, IsInstant, IsMissingReasons, IsNhsNumber } from './validation.js';
import {
  IsNotBlank,
  IsOptionalNotNull,
  MaxDecimalPlaces,
  PageLimit,
} from '../../../observability/src/index.js';

/** Missing reasons as sent: a code per field, or null (in a correction) to remove that field's reason. */
export type MissingReasonChanges = Record<string, string | null>;

/** The reasons to store from a request (a null only means something in a correction). */
export function reasonsOf(missing: MissingReasonChanges | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(missing ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

// Coded fields (`category`, `mode`, `code`, …) are checked against the current value sets by the service,
// which answers 422 naming the field and the set: the sets are data, not enums compiled in here.

export const MISSING_DOC =
  'Why a field has no value: `{ "preLactate": "not_done" }` (value set missing_reason), kept apart from the value.';

export class IdentityDto {
  @ApiProperty({ example: '999 000 0018', description: 'Validated by the Modulus 11 check.' })
  @IsNhsNumber()
  nhsNumber: string;

  @ApiProperty({ example: 'Smith', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @IsNotBlank()
  familyName: string;

  @ApiProperty({ example: 'Alex', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @IsNotBlank()
  givenName: string;

  @ApiProperty({ format: 'date', example: '1961-04-12' })
  @IsCalendarDate()
  dateOfBirth: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '+44 7700 900123' })
  @IsOptional()
  @Matches(/^\+?[0-9][0-9 ]{6,19}$/, { message: 'must be a telephone number of digits and spaces' })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'email', example: 'alex@example.org' })
  @IsOptional()
  @IsEmail({}, { message: 'must be an e-mail address' })
  email?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  address?: string | null;

  @ApiProperty({ enum: ['sms', 'email', 'none'], description: 'How follow-up reminders reach the patient.' })
  @IsIn(['sms', 'email', 'none'])
  reminderChannel: 'sms' | 'email' | 'none';
}

export class MdtDecisionDto {
  @ApiProperty({ format: 'date-time', example: '2026-03-01T13:00:00Z' })
  @IsInstant()
  decidedAt: string;

  @ApiProperty({ example: 'Cardiac MDT (Dr Jones, Mr Patel)', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  decidedBy: string;
}

export class OperationDto {
  @ApiProperty({ format: 'date', example: '2026-03-01', description: 'A date: the time is not recorded.' })
  @IsCalendarDate()
  operationDate: string;

  @ApiProperty({ example: 'cabg', description: 'Value set operation_category.' })
  @IsString()
  category: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Required when the category is `other`.',
    maxLength: 500,
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  categoryDetail?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'urgent',
    description: 'Value set operation_urgency.',
  })
  @IsOptional()
  @IsString()
  urgency?: string | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true })
  @IsOptional()
  @IsBoolean()
  redo?: boolean | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, maximum: 2000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2000)
  bypassMinutes?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  crossClampMinutes?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 100,
    description: 'EuroSCORE II, percent.',
  })
  @IsOptional()
  @IsNumber()
  @MaxDecimalPlaces(2)
  @Min(0)
  @Max(100)
  euroscoreIi?: number | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: MISSING_DOC,
    example: { euroscoreIi: 'unknown' },
  })
  @IsOptionalNotNull()
  @IsMissingReasons()
  missing?: MissingReasonChanges;
}

export class EcmoRunDto {
  @ApiProperty({ format: 'date-time', example: '2026-03-01T16:20:00Z' })
  @IsInstant()
  startedAt: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'date-time',
    example: '2026-03-05T10:00:00Z',
    description: 'Decannulation; with an end reason.',
  })
  @IsOptional()
  @IsInstant()
  endedAt?: string | null;

  @ApiProperty({ example: 'VA', description: 'Value set ecmo_mode.' })
  @IsString()
  mode: string;

  @ApiProperty({ example: 'theatre', description: 'Value set ecmo_start_location.' })
  @IsString()
  startLocation: string;

  @ApiProperty({ example: 'failure_to_wean', description: 'Value set ecmo_started_for.' })
  @IsString()
  startedFor: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'peripheral',
    description: 'Value set cannulation.',
  })
  @IsOptional()
  @IsString()
  cannulation?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'femoral',
    description: 'Value set cannula_site.',
  })
  @IsOptional()
  @IsString()
  drainageSite?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'femoral',
    description: 'Value set cannula_site.',
  })
  @IsOptional()
  @IsString()
  returnSite?: string | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true })
  @IsOptional()
  @IsBoolean()
  distalPerfusion?: boolean | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'iabp',
    description: 'Value set lv_unloading.',
  })
  @IsOptional()
  @IsString()
  lvUnloading?: string | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: 'Cardiac arrest before ECMO.' })
  @IsOptional()
  @IsBoolean()
  preCardiacArrest?: boolean | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 30,
    description: 'Lactate before ECMO, mmol/L.',
  })
  @IsOptional()
  @IsNumber()
  @MaxDecimalPlaces(1)
  @Min(0)
  @Max(30)
  preLactate?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 1000,
    description: 'Vasoactive-inotropic score before ECMO.',
  })
  @IsOptional()
  @IsNumber()
  @MaxDecimalPlaces(1)
  @Min(0)
  @Max(1000)
  preVis?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 6.5,
    maximum: 8,
    description: 'Arterial pH before ECMO.',
  })
  @IsOptional()
  @IsNumber()
  @MaxDecimalPlaces(2)
  @Min(6.5)
  @Max(8)
  prePh?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'weaned',
    description: 'Value set ecmo_end_reason; with the end instant.',
  })
  @IsOptional()
  @IsString()
  endReason?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: MISSING_DOC,
    example: { preVis: 'not_done' },
  })
  @IsOptionalNotNull()
  @IsMissingReasons()
  missing?: MissingReasonChanges;
}

export class ComplicationDto {
  @ApiProperty({ example: 'bleeding_cannulation_site', description: 'Value set complication.' })
  @IsString()
  code: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Required for the code `other`.',
    maxLength: 500,
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  description?: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-03-02T08:00:00Z' })
  @IsInstant()
  onsetAt: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'The ECMO run it happened on, if on ECMO.',
  })
  @IsOptional()
  @IsUUID()
  ecmoRunId?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 5, description: '5 = fatal.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(5)
  grade?: number | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true })
  @IsOptional()
  @IsBoolean()
  serious?: boolean | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'related',
    description: 'Value set complication_relation.',
  })
  @IsOptional()
  @IsString()
  relation?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'resolved',
    description: 'Value set complication_outcome.',
  })
  @IsOptional()
  @IsString()
  outcome?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: MISSING_DOC,
  })
  @IsOptionalNotNull()
  @IsMissingReasons()
  missing?: MissingReasonChanges;
}

export class OutcomeDto {
  @ApiProperty({ enum: ['discharge', 'death'] })
  @IsIn(['discharge', 'death'])
  kind: 'discharge' | 'death';

  @ApiProperty({ format: 'date-time', example: '2026-03-20T11:00:00Z' })
  @IsInstant()
  occurredAt: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'home',
    description: 'Value set discharge_destination (discharge only).',
  })
  @IsOptional()
  @IsString()
  destination?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'cardiac',
    description: 'Value set cause_of_death (death only).',
  })
  @IsOptional()
  @IsString()
  causeOfDeath?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Required for the cause `other`.',
    maxLength: 500,
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  causeDetail?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: MISSING_DOC,
  })
  @IsOptionalNotNull()
  @IsMissingReasons()
  missing?: MissingReasonChanges;
}

export class ConsentEventDto {
  @ApiProperty({ enum: CONSENT_EVENT_KINDS })
  @IsIn(CONSENT_EVENT_KINDS)
  kind: ConsentEventKind;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T17:00:00Z' })
  @IsInstant()
  occurredAt: string;

  @ApiPropertyOptional({
    description: 'Emergency enrolment: the doctor independent of the registry who agreed.',
    maxLength: 200,
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  independentDoctor?: string;

  @ApiPropertyOptional({ enum: ['personal', 'nominated'], description: 'Consultee advice: who advised.' })
  @IsOptionalNotNull()
  @IsIn(['personal', 'nominated'])
  consulteeType?: 'personal' | 'nominated';

  @ApiPropertyOptional({ description: 'Consultee advice: whether they agreed.' })
  @IsOptionalNotNull()
  @IsBoolean()
  consulteeAgreed?: boolean;

  @ApiPropertyOptional({
    enum: ['a', 'b', 'c'],
    description: 'Withdrawal: (a) no contact, (b) no further data, (c) no future exports.',
  })
  @IsOptionalNotNull()
  @IsIn(['a', 'b', 'c'])
  withdrawalLevel?: WithdrawalLevel;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  note?: string;
}

export class EnrolPatientDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The enrolling site; required only when you work at several.',
  })
  @IsOptionalNotNull()
  @IsUUID()
  siteId?: string;

  @ApiProperty({ type: IdentityDto })
  @IsObject()
  @ValidateNested()
  @Type(() => IdentityDto)
  identity: IdentityDto;

  @ApiProperty({ example: 'female', description: 'Value set sex.' })
  @IsString()
  sex: string;

  @ApiPropertyOptional({ type: MdtDecisionDto, description: 'Eligibility needs it (refused without).' })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => MdtDecisionDto)
  mdtDecision?: MdtDecisionDto;

  @ApiProperty({ type: OperationDto })
  @IsObject()
  @ValidateNested()
  @Type(() => OperationDto)
  operation: OperationDto;

  @ApiProperty({ type: EcmoRunDto, description: 'The first (index) ECMO run.' })
  @IsObject()
  @ValidateNested()
  @Type(() => EcmoRunDto)
  ecmoRun: EcmoRunDto;

  @ApiProperty({
    type: ConsentEventDto,
    description: 'The first consent event: emergency enrolment or patient consent.',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => ConsentEventDto)
  consent: ConsentEventDto;
}

/** Every change to a saved record says why (it lands in the audit row as the reason). */
/**
 * A correction (PATCH) sends only what changes. A field the record must hold (an ECMO run's start, say) may be
 * left out but not sent as null: `skipNullProperties: false` validates a null like any other value, so it is
 * refused with the field's own rule. Fields that may be emptied carry their own IsOptional, which lets null by.
 */
export const PATCH = { skipNullProperties: false } as const;

export const CORRECTION_REASON_DOC =
  'Why a recorded value changes (a correction). Not needed when every field sent fills in one not recorded before (an ECMO run ended, a lactate measured later): that is new data, recorded.';

export class ReasonDto {
  @ApiProperty({ example: 'transcription error: lactate was 8.4 on the blood gas', maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}

export class CorrectOperationDto extends PartialType(OperationDto, PATCH) {
  @ApiPropertyOptional({ maxLength: 500, description: CORRECTION_REASON_DOC })
  @IsOptional()
  @IsString()
  @Length(3, 500)
  reason?: string;
}

export class CorrectEcmoRunDto extends PartialType(EcmoRunDto, PATCH) {
  @ApiPropertyOptional({ maxLength: 500, description: CORRECTION_REASON_DOC })
  @IsOptional()
  @IsString()
  @Length(3, 500)
  reason?: string;
}

export class CorrectComplicationDto extends PartialType(ComplicationDto, PATCH) {
  @ApiPropertyOptional({ maxLength: 500, description: CORRECTION_REASON_DOC })
  @IsOptional()
  @IsString()
  @Length(3, 500)
  reason?: string;
}

export class CorrectOutcomeDto extends PartialType(OutcomeDto, PATCH) {
  @ApiPropertyOptional({ maxLength: 500, description: CORRECTION_REASON_DOC })
  @IsOptional()
  @IsString()
  @Length(3, 500)
  reason?: string;
}

/**
 * A correction of the identity: only the fields sent change. Phone, e-mail and address may be removed (null);
 * the NHS number, names, date of birth and reminder channel can only be replaced (null is refused).
 */
export class CorrectIdentityDto extends PartialType(
  PickType(IdentityDto, ['phone', 'email', 'address'] as const),
) {
  @ApiPropertyOptional({ example: '999 000 0018', description: 'Validated by the Modulus 11 check.' })
  @IsOptionalNotNull()
  @IsNhsNumber()
  nhsNumber?: string;

  @ApiPropertyOptional({ example: 'Smith', maxLength: 100 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @IsNotBlank()
  familyName?: string;

  @ApiPropertyOptional({ example: 'Alex', maxLength: 100 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @IsNotBlank()
  givenName?: string;

  @ApiPropertyOptional({ format: 'date', example: '1961-04-12' })
  @IsOptionalNotNull()
  @IsCalendarDate()
  dateOfBirth?: string;

  @ApiPropertyOptional({ enum: ['sms', 'email', 'none'] })
  @IsOptionalNotNull()
  @IsIn(['sms', 'email', 'none'])
  reminderChannel?: 'sms' | 'email' | 'none';

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}

export class CorrectPatientDto {
  @ApiPropertyOptional({ example: 'female', description: 'Value set sex.' })
  @IsOptionalNotNull()
  @IsString()
  sex?: string;

  @ApiPropertyOptional({ nullable: true, type: MdtDecisionDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MdtDecisionDto)
  mdtDecision?: MdtDecisionDto | null;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}

export class TransferDto {
  @ApiProperty({ format: 'uuid', description: 'The site taking over the patient.' })
  @IsUUID()
  siteId: string;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}

/**
 * Find by exact NHS number, or by family name and date of birth. A POST body, not a query string, so that
 * identifiers never appear in URLs (access logs, proxies, browser history).
 */
export class PatientSearchDto {
  @ApiPropertyOptional({ example: '999 000 0018' })
  @IsOptionalNotNull()
  @IsNhsNumber()
  nhsNumber?: string;

  @ApiPropertyOptional({ example: 'Smith', description: 'With dateOfBirth; case and spacing ignored.' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  familyName?: string;

  @ApiPropertyOptional({ format: 'date', example: '1961-04-12' })
  @IsOptionalNotNull()
  @IsCalendarDate()
  dateOfBirth?: string;
}

export class PatientParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  patientId: string;
}

export class RecordParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  patientId: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  recordId: string;
}

export class PatientListQuery {
  @ApiPropertyOptional({ example: 'LHB-0007', description: 'Exact registry ID.' })
  @IsOptionalNotNull()
  @Matches(/^[A-Z][A-Z0-9]{1,9}-[0-9]{4,}$/, { message: 'must be a registry ID such as LHB-0007' })
  registryId?: string;

  @ApiPropertyOptional({
    example: '0007',
    description: 'Part of a registry ID (letters, digits and hyphens), any case: `LHB-00`, `0007`.',
  })
  @IsOptionalNotNull()
  @Matches(/^[A-Za-z0-9-]{1,20}$/, { message: 'must be part of a registry ID: letters, digits and hyphens' })
  registryIdContains?: string;

  @ApiPropertyOptional({ enum: CONSENT_STATES, description: 'The consent state derived from the events.' })
  @IsOptionalNotNull()
  @IsIn(CONSENT_STATES)
  consentState?: ConsentState;

  @ApiPropertyOptional({
    enum: ['alive', 'dead'],
    description:
      '`dead`: a death recorded in hospital, on ECMO or at a follow-up visit; `alive`: none recorded.',
  })
  @IsOptionalNotNull()
  @IsIn(['alive', 'dead'])
  vitalStatus?: 'alive' | 'dead';

  @ApiPropertyOptional({
    enum: ['scheduled', 'due', 'booked', 'completed', 'missed', 'not_required', 'lost_to_follow_up'],
    description:
      'Patients with at least one follow-up visit in this state (`due`: a window open, nothing booked).',
  })
  @IsOptionalNotNull()
  @IsIn(['scheduled', 'due', 'booked', 'completed', 'missed', 'not_required', 'lost_to_follow_up'])
  visitStatus?: string;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'Registry ID after which to continue (keyset paging).' })
  @IsOptionalNotNull()
  @Matches(/^[A-Z][A-Z0-9]{1,9}-[0-9]{4,}$/, { message: 'must be a registry ID such as LHB-0007' })
  after?: string;
}
