import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { CLINICAL_READERS, CurrentScope, Roles, SiteScope } from '../../../access/src/index.js';
import { type Worklist, WorklistService } from './worklist.js';

export class WorklistParams {
  @IsUUID()
  siteId: string;
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
