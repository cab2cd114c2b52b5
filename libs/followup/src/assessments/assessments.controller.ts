import { Body, Controller, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CLINICAL_READERS,
  CurrentScope,
  RequestAudit,
  Roles,
  SITE_ROLES,
  SiteScope,
} from '../../../access/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import {
  ClinicalRecordsService,
  IF_MATCH_HEADER,
  IfMatch,
  PatientParams,
  ReasonDto,
  RecordParams,
  tagged,
} from '../../../registry/src/index.js';
import { AssessmentDto, CorrectAssessmentDto } from './assessment.dto.js';
import { ASSESSMENT } from './assessments.js';

/**
 * Follow-up assessments (domain guide §4): recorded against a visit of the patient's plan, read, corrected
 * (If-Match and a reason) and voided like every clinical record. Recording one completes its visit.
 */
@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('patients/:patientId/assessments')
export class AssessmentsController {
  constructor(private readonly records: ClinicalRecordsService) {}

  @Post()
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: "Record a visit's assessment" })
  async create(
    @Param() params: PatientParams,
    @Body() dto: AssessmentDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.create(ASSESSMENT, scope, params.patientId, dto, context));
  }

  @Get(':recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read an assessment' })
  async get(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.get(ASSESSMENT, scope, params.patientId, params.recordId));
  }

  @Patch(':recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Complete or correct an assessment' })
  async correct(
    @Param() params: RecordParams,
    @Body() dto: CorrectAssessmentDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.correct(ASSESSMENT, scope, params.patientId, params.recordId, version, dto, context),
    );
  }

  /** "Entered in error": the assessment stays, void with its reason, and its visit is open again. */
  @Post(':recordId/void')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Void an assessment entered in error' })
  async void(
    @Param() params: RecordParams,
    @Body() dto: ReasonDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.void(
        ASSESSMENT,
        scope,
        params.patientId,
        params.recordId,
        version,
        dto.reason,
        context,
      ),
    );
  }
}
