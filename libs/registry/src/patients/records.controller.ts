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
  ComplicationDto,
  ConsentEventDto,
  CorrectComplicationDto,
  CorrectEcmoRunDto,
  CorrectOperationDto,
  CorrectOutcomeDto,
  EcmoRunDto,
  OutcomeDto,
  PatientParams,
  ReasonDto,
  RecordParams,
} from './dto.js';
import { IF_MATCH_HEADER } from './patients.controller.js';
import { ClinicalRecordsService, COMPLICATION, ECMO_RUN, OPERATION, OUTCOME } from './records.service.js';
import { IfMatch, tagged } from './versioning.js';

/**
 * A patient's clinical records (domain guide §3 items 3–7): the consent timeline, the index operation, ECMO
 * runs, complications and the hospital outcome. Each kind is recorded, read, corrected (If-Match and a
 * reason) and voided (never deleted) the same way.
 */
@ApiTags('patients')
@ApiBearerAuth()
@Controller('patients/:patientId')
export class ClinicalRecordsController {
  constructor(private readonly records: ClinicalRecordsService) {}

  /** Append a consent event (in time order); a decline destroys the identity and keeps only a count. */
  @Post('consent-events')
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Record a consent event' })
  async addConsentEvent(
    @Param() params: PatientParams,
    @Body() dto: ConsentEventDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.addConsentEvent(scope, params.patientId, dto, context));
  }

  /** Void a consent event entered in error (not a decline: the identity is already destroyed). */
  @Post('consent-events/:recordId/void')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Void a consent event entered in error' })
  async voidConsentEvent(
    @Param() params: RecordParams,
    @Body() dto: ReasonDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.voidConsentEvent(
        scope,
        params.patientId,
        params.recordId,
        version,
        dto.reason,
        context,
      ),
    );
  }

  @Get('operation/:recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read the index operation' })
  async getOperation(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.get(OPERATION, scope, params.patientId, params.recordId));
  }

  /**
   * Correct the index operation: If-Match with its ETag, and a reason. It is never voided: every patient
   * has one, and one entered wrongly is corrected.
   */
  @Patch('operation/:recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Correct the index operation' })
  async correctOperation(
    @Param() params: RecordParams,
    @Body() dto: CorrectOperationDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.correct(OPERATION, scope, params.patientId, params.recordId, version, dto, context),
    );
  }

  /** Record a further ECMO run. */
  @Post('ecmo-runs')
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Record another ECMO run' })
  async createEcmoRun(
    @Param() params: PatientParams,
    @Body() dto: EcmoRunDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.create(ECMO_RUN, scope, params.patientId, dto, context));
  }

  @Get('ecmo-runs/:recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read an ECMO run' })
  async getEcmoRun(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.get(ECMO_RUN, scope, params.patientId, params.recordId));
  }

  /** Correct it: If-Match with its ETag, and a reason. */
  @Patch('ecmo-runs/:recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Record the end of an ECMO run, or correct it' })
  async correctEcmoRun(
    @Param() params: RecordParams,
    @Body() dto: CorrectEcmoRunDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.correct(ECMO_RUN, scope, params.patientId, params.recordId, version, dto, context),
    );
  }

  /** Void it as entered in error (If-Match, reason): it stays visible, marked void. */
  @Post('ecmo-runs/:recordId/void')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Void an ECMO run entered in error' })
  async voidEcmoRun(
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
        ECMO_RUN,
        scope,
        params.patientId,
        params.recordId,
        version,
        dto.reason,
        context,
      ),
    );
  }

  /** Record a complication. */
  @Post('complications')
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Record a complication' })
  async createComplication(
    @Param() params: PatientParams,
    @Body() dto: ComplicationDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.create(COMPLICATION, scope, params.patientId, dto, context));
  }

  @Get('complications/:recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read a complication' })
  async getComplication(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.get(COMPLICATION, scope, params.patientId, params.recordId));
  }

  /** Correct it: If-Match with its ETag, and a reason. */
  @Patch('complications/:recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Complete or correct a complication' })
  async correctComplication(
    @Param() params: RecordParams,
    @Body() dto: CorrectComplicationDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.correct(
        COMPLICATION,
        scope,
        params.patientId,
        params.recordId,
        version,
        dto,
        context,
      ),
    );
  }

  /** Void it as entered in error (If-Match, reason): it stays visible, marked void. */
  @Post('complications/:recordId/void')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Void a complication entered in error' })
  async voidComplication(
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
        COMPLICATION,
        scope,
        params.patientId,
        params.recordId,
        version,
        dto.reason,
        context,
      ),
    );
  }

  /** Record the hospital outcome (discharge or death). */
  @Post('outcome')
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Record the hospital outcome' })
  async createOutcome(
    @Param() params: PatientParams,
    @Body() dto: OutcomeDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.create(OUTCOME, scope, params.patientId, dto, context));
  }

  @Get('outcome/:recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read the hospital outcome' })
  async getOutcome(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.records.get(OUTCOME, scope, params.patientId, params.recordId));
  }

  /** Correct it: If-Match with its ETag, and a reason. */
  @Patch('outcome/:recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Complete or correct the hospital outcome' })
  async correctOutcome(
    @Param() params: RecordParams,
    @Body() dto: CorrectOutcomeDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.records.correct(OUTCOME, scope, params.patientId, params.recordId, version, dto, context),
    );
  }

  /** Void it as entered in error (If-Match, reason): it stays visible, marked void. */
  @Post('outcome/:recordId/void')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Void the hospital outcome entered in error' })
  async voidOutcome(
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
        OUTCOME,
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
