import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import {
  CORRECTION_REASON_DOC,
  IsCalendarDate,
  IsMissingReasons,
  MISSING_DOC,
  type MissingReasonChanges,
} from '../../../registry/src/index.js';
import { ASSESSMENT_SOURCES, RETURN_TO_WORK } from './assessment.entity.js';
import { IsOptionalNotNull } from '../../../observability/src/index.js';

const level = (name: string, min: number, max: number, description: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: min,
      maximum: max,
      nullable: true,
      description: `${name}: ${description}`,
    }),
    IsOptional(),
    IsInt(),
    Min(min),
    Max(max),
  );

export class AssessmentDto {
  @ApiProperty({ format: 'uuid', description: 'The follow-up visit this assessment completes.' })
  @IsUUID()
  visitId: string;

  @ApiProperty({ format: 'date', example: '2026-03-02' })
  @IsCalendarDate()
  assessedOn: string;

  @ApiProperty({ enum: ASSESSMENT_SOURCES, description: '`records`: from hospital or GP records.' })
  @IsIn(ASSESSMENT_SOURCES)
  source: (typeof ASSESSMENT_SOURCES)[number];

  @ApiProperty({ enum: ['alive', 'dead'] })
  @IsIn(['alive', 'dead'])
  vitalStatus: 'alive' | 'dead';

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    example: '2026-02-20',
    nullable: true,
    description: 'Dead only.',
  })
  @IsOptional()
  @IsCalendarDate()
  diedOn?: string | null;

  @ApiPropertyOptional({
    type: String,
    example: 'cardiac',
    nullable: true,
    description: 'Value set cause_of_death.',
  })
  @IsOptional()
  @IsString()
  causeOfDeath?: string | null;

  @ApiPropertyOptional({
    type: String,
    description: 'Required for the cause `other`.',
    maxLength: 500,
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  causeDetail?: string | null;

  @level('mRS', 0, 6, 'modified Rankin Scale, 6 = dead')
  mrs?: number | null;

  @level('NYHA', 1, 4, 'functional class I-IV')
  nyha?: number | null;

  @level('EQ-5D-5L mobility', 1, 5, 'level')
  eq5dMobility?: number | null;

  @level('EQ-5D-5L self-care', 1, 5, 'level')
  eq5dSelfCare?: number | null;

  @level('EQ-5D-5L usual activities', 1, 5, 'level')
  eq5dUsualActivities?: number | null;

  @level('EQ-5D-5L pain/discomfort', 1, 5, 'level')
  eq5dPainDiscomfort?: number | null;

  @level('EQ-5D-5L anxiety/depression', 1, 5, 'level')
  eq5dAnxietyDepression?: number | null;

  @level('EQ VAS', 0, 100, '0 worst to 100 best imaginable health')
  eqVas?: number | null;

  @level('Readmissions', 0, 50, 'hospital readmissions since the previous visit')
  readmissions?: number | null;

  @ApiPropertyOptional({ enum: RETURN_TO_WORK, nullable: true })
  @IsOptional()
  @IsIn(RETURN_TO_WORK)
  returnToWork?: (typeof RETURN_TO_WORK)[number] | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: MISSING_DOC,
  })
  @IsOptionalNotNull()
  @IsMissingReasons()
  missing?: MissingReasonChanges;
}

/** A correction: any field but the visit (an assessment on the wrong visit is voided and recorded again). */
export class CorrectAssessmentDto extends PartialType(OmitType(AssessmentDto, ['visitId'] as const), {
  skipNullProperties: false,
}) {
  @ApiPropertyOptional({ maxLength: 500, description: CORRECTION_REASON_DOC })
  @IsOptional()
  @IsString()
  @Length(3, 500)
  reason?: string;
}
