import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsCalendarDate } from '../../../registry/src/index.js';
import { APPOINTMENT_MODES, type AppointmentMode } from './appointment.entity.js';
import { IsOptionalNotNull } from '../../../observability/src/index.js';

const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const TIME_MESSAGE = 'must be a local time HH:MM (24 h, Europe/London)';

export class BookAppointmentDto {
  @ApiProperty({ format: 'uuid', description: 'The follow-up visit the appointment is for.' })
  @IsUUID()
  visitId: string;

  @ApiProperty({ format: 'date', example: '2026-12-03', description: 'Local date in Europe/London.' })
  @IsCalendarDate()
  date: string;

  @ApiProperty({ example: '10:30', description: 'Local time in Europe/London, 24 h.' })
  @Matches(TIME, { message: TIME_MESSAGE })
  time: string;

  @ApiProperty({ enum: APPOINTMENT_MODES })
  @IsIn(APPOINTMENT_MODES)
  mode: AppointmentMode;

  @ApiPropertyOptional({ example: 'Cardiac outpatients, level 2', maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  place?: string;
}

/** A move: a new date, time, mode or place, with a reason. */
export class MoveAppointmentDto {
  @ApiPropertyOptional({ format: 'date', example: '2026-12-04' })
  @IsOptionalNotNull()
  @IsCalendarDate()
  date?: string;

  @ApiPropertyOptional({ example: '14:00' })
  @IsOptionalNotNull()
  @Matches(TIME, { message: TIME_MESSAGE })
  time?: string;

  @ApiPropertyOptional({ enum: APPOINTMENT_MODES })
  @IsOptionalNotNull()
  @IsIn(APPOINTMENT_MODES)
  mode?: AppointmentMode;

  @ApiPropertyOptional({ type: String, maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  place?: string | null;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @Length(3, 500)
  reason: string;
}
