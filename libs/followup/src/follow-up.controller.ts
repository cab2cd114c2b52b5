import { Body, Controller, Get, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CLINICAL_READERS,
  CurrentScope,
  RequestAudit,
  Roles,
  SITE_ROLES,
  SiteScope,
} from '../../access/src/index.js';
import type { AuditContext } from '../../database/src/index.js';
import { etagOf, IF_MATCH_HEADER, IfMatch, PatientParams } from '../../registry/src/index.js';
import { FollowUpPlanDto, ProtocolParams, PublishProtocolDto } from './dto.js';
import { FollowUpService } from './follow-up.service.js';

/** Follow-up protocols: read by clinical staff, published (as a new version) by administrators. */
@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('follow-up/protocols')
export class ProtocolsController {
  constructor(private readonly followUp: FollowUpService) {}

  @Get()
  @Roles(...CLINICAL_READERS, 'admin')
  @ApiOperation({ summary: 'List the follow-up protocols' })
  list() {
    return this.followUp.protocols();
  }

  @Get(':version')
  @Roles(...CLINICAL_READERS, 'admin')
  @ApiOperation({ summary: 'Read a follow-up protocol version' })
  get(@Param() params: ProtocolParams) {
    return this.followUp.protocol(params.version);
  }

  /** Publish the next version; enrolled patients stay on theirs until moved. */
  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Publish a new follow-up protocol version' })
  publish(@Body() dto: PublishProtocolDto, @RequestAudit() context: AuditContext) {
    return this.followUp.publish(dto, context);
  }
}

/** A patient's follow-up plan and visits; the ETag is the patient's version (what a plan change names). */
@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('patients/:patientId/follow-up')
export class PatientFollowUpController {
  constructor(private readonly followUp: FollowUpService) {}

  @Get()
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: "Read a patient's follow-up plan and visits" })
  async get(
    @Param() params: PatientParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const plan = await this.followUp.plan(scope, params.patientId);
    void reply.header('ETag', etagOf(plan.patientVersion));
    return plan;
  }

  /** Move to another protocol version, turn yearly visits on or off, declare lost to follow-up (or found). */
  @Patch()
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: "Change a patient's follow-up plan" })
  async change(
    @Param() params: PatientParams,
    @Body() dto: FollowUpPlanDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const plan = await this.followUp.changePlan(scope, params.patientId, version, dto, context);
    void reply.header('ETag', etagOf(plan.patientVersion));
    return plan;
  }
}
