import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate } from '../../registry/src/index.js';
import { VISIT_ANCHORS, type VisitAnchor } from './rules/visits.js';
import { IsNotBlank, IsOptionalNotNull } from '../../observability/src/index.js';

export class ProtocolVisitDto {
  @ApiProperty({ example: 'day_30', description: 'Stable code, lower case with underscores.' })
  @Matches(/^[a-z][a-z0-9_]{1,39}$/, { message: 'must be lower case letters, digits and _ (2 to 40)' })
  code: string;

  @ApiProperty({ example: 'Day 30' })
  @IsString()
  @Length(1, 100)
  label: string;

  @ApiProperty({ enum: VISIT_ANCHORS })
  @IsIn(VISIT_ANCHORS)
  anchor: VisitAnchor;

  @ApiProperty({ example: 30, minimum: 0, maximum: 3650 })
  @IsInt()
  @Min(0)
  @Max(3650)
  offsetDays: number;

  @ApiProperty({ example: 7, minimum: 0, maximum: 365 })
  @IsInt()
  @Min(0)
  @Max(365)
  windowBeforeDays: number;

  @ApiProperty({ example: 14, minimum: 0, maximum: 365 })
  @IsInt()
  @Min(0)
  @Max(365)
  windowAfterDays: number;

  @ApiProperty({ description: 'Planned only for patients on extended (yearly) follow-up.' })
  @IsBoolean()
  optional: boolean;
}

/** A new protocol version (the next number); published versions never change. */
export class PublishProtocolDto {
  @ApiProperty({ example: 'Protocol 2: adds a month-18 visit', maxLength: 200 })
  @IsString()
  @Length(3, 200)
  @IsNotBlank()
  title: string;

  @ApiProperty({ type: [ProtocolVisitDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(40)
  // Each an object: nested validation walks an array inside the array without a word ([[[]]] passed).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ProtocolVisitDto)
  visits: ProtocolVisitDto[];

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 2000)
  notes?: string;
}

export class ProtocolParams {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  version: number;
}

/**
 * A change to a patient's follow-up plan: move to another protocol version, turn the optional yearly visits
 * on or off, declare the patient lost to follow-up (or found again, with null). Always with a reason.
 */
export class FollowUpPlanDto {
  @ApiPropertyOptional({ example: 2, description: 'Move the patient to this published protocol version.' })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  protocolVersion?: number;

  @ApiPropertyOptional({ description: 'Plan the optional yearly visits.' })
  @IsOptionalNotNull()
  @IsBoolean()
  extendedFollowUp?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    example: '2026-11-02',
    nullable: true,
    description: 'The day the patient was declared lost to follow-up; null when they are found again.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsCalendarDate()
  lostToFollowUpOn?: string | null;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}
