import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID, Matches } from 'class-validator';
import { IsCalendarDate } from '../../../registry/src/index.js';
import { EXPORT_PROFILES, type ExportProfile } from './audit-export.js';
import { EXPORT_FILE_NAME } from './export-storage.js';
import { IsOptionalNotNull, PageLimit } from '../../../observability/src/index.js';

export class RequestExportDto {
  @ApiProperty({
    enum: EXPORT_PROFILES,
    description:
      '`internal`: exact dates, for the registry’s analysts (data managers only). `external_audit`: pseudonymised patient-level files with dates shifted per patient, for an auditor under a data sharing agreement; aggregates under disclosure control. `publication`: the aggregate report, criteria table and HTML report only, under disclosure control, safe to publish. Which ones the auditor role may request is configuration (`AUDITOR_EXPORT_PROFILES`).',
  })
  @IsIn(EXPORT_PROFILES)
  profile: ExportProfile;

  @ApiProperty({
    format: 'date',
    example: '2026-10-31',
    description:
      'Data cut-off date: what happened up to the end of this day (Europe/London). Not after today.',
  })
  @IsCalendarDate()
  cutOff: string;
}

export class ExportParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  exportId: string;
}

export class ExportFileParams extends ExportParams {
  @ApiProperty({ example: 'patients.csv' })
  @Matches(EXPORT_FILE_NAME, { message: 'must be the name of one of the export’s files' })
  file: string;
}

export class ListExportsQuery {
  @ApiPropertyOptional({ enum: EXPORT_PROFILES })
  @IsOptionalNotNull()
  @IsIn(EXPORT_PROFILES)
  profile?: ExportProfile;

  @PageLimit()
  limit?: number;
}
