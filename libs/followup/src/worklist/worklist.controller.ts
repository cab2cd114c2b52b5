import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { IsCalendarDate } from '../../../registry/src/index.js';
import { IsOptionalNotNull } from '../../../observability/src/index.js';
import { CLINICAL_READERS, CurrentScope, Roles, SiteScope } from '../../../access/src/index.js';
import { type Worklist, WorklistService } from './worklist.js';

export class WorklistParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  siteId: string;
}

export class ClinicListQuery {
  @ApiProperty({ example: '2027-01-11', format: 'date', description: 'First London day of the list.' })
  @IsCalendarDate()
  from: string;

  @ApiProperty({
    example: '2027-01-15',
    format: 'date',
    description: 'Last London day (at most 92 days on).',
  })
  @IsCalendarDate()
  to: string;

  @ApiPropertyOptional({ enum: ['booked', 'cancelled', 'attended', 'missed'] })
  @IsOptionalNotNull()
  @IsIn(['booked', 'cancelled', 'attended', 'missed'])
  status?: string;
}

@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('sites/:siteId/appointments')
export class ClinicListController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  @Roles(...CLINICAL_READERS)
  @ApiOperation({
    summary: "A site's clinic list: its appointments on a range of days",
    description: 'By start; registry IDs, visits, times, modes and places only, no identifiers.',
  })
  list(@Param() params: WorklistParams, @Query() query: ClinicListQuery, @CurrentScope() scope: SiteScope) {
    return this.worklist.appointments(scope, params.siteId, query.from, query.to, query.status ?? null);
  }
}

@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('sites/:siteId/worklist')
export class WorklistController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  @Roles(...CLINICAL_READERS)
  @ApiOperation({
    summary: "A site's follow-up worklist",
    description:
      'Visits due without an appointment, appointments this week, overdue visits, missed appointments to ' +
      'rebook, and reminders that failed or whose delivery is unknown. Registry IDs only, no identifiers.',
  })
  get(@Param() params: WorklistParams, @CurrentScope() scope: SiteScope): Promise<Worklist> {
    return this.worklist.forSite(scope, params.siteId);
  }
}
