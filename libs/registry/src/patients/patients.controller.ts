import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CLINICAL_READERS,
  CurrentScope,
  LogsIdentifierRead,
  RequestAudit,
  Roles,
  SITE_ROLES,
  SiteScope,
} from '../../../access/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import {
  CorrectIdentityDto,
  CorrectPatientDto,
  EnrolPatientDto,
  PatientListQuery,
  PatientParams,
  PatientSearchDto,
  TransferDto,
} from './dto.js';
import { PatientHistory } from './history.js';
import { PatientsService } from './patients.service.js';
import { etagOf, IfMatch } from './versioning.js';

const IDENTITY_FIELDS = ['nhsNumber', 'familyName', 'givenName', 'dateOfBirth', 'phone', 'email', 'address'];
const identityRead = LogsIdentifierRead({
  entityType: 'patient_identity',
  fields: IDENTITY_FIELDS,
  ids: (result) => [(result as { patientId: string }).patientId],
});

export const IF_MATCH_HEADER = ApiHeader({
  name: 'If-Match',
  required: true,
  description: 'The ETag (version) of the record as read; a stale one answers 409.',
});

@ApiTags('patients')
@ApiBearerAuth()
@Controller('patients')
export class PatientsController {
  constructor(
    private readonly patients: PatientsService,
    private readonly history: PatientHistory,
  ) {}

  /** Enrol a patient at your site; refused (422) with the failed rule when not eligible. */
  @Post()
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Enrol a patient' })
  async enrol(
    @Body() dto: EnrolPatientDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { id } = await this.patients.enrol(scope, dto, context, { siteId: dto.siteId });
    const summary = await this.patients.summary(scope, id);
    void reply.header('Location', `/patients/${id}`);
    if ('version' in summary) void reply.header('ETag', etagOf(summary.version));
    return summary;
  }

  /** Patients in your scope, by registry ID (`registryId` finds one). */
  @Get()
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'List patients, filtered' })
  list(@Query() query: PatientListQuery, @CurrentScope() scope: SiteScope) {
    return this.patients.list(scope, query);
  }

  /** Find by exact NHS number, or by family name and date of birth (logged as an identifier read). */
  @Post('search')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Search patients by NHS number, or by family name and date of birth' })
  search(
    @Body() dto: PatientSearchDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
  ) {
    return this.patients.search(scope, dto, context);
  }

  /** The summary: every record's current state, derived facts, eligibility and completeness. */
  @Get(':patientId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: "Read a patient's summary" })
  async summary(
    @Param() params: PatientParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const summary = await this.patients.summary(scope, params.patientId);
    if ('version' in summary) void reply.header('ETag', etagOf(summary.version));
    return summary;
  }

  /** Correct the patient's sex or MDT decision (If-Match: the summary's ETag; a reason is required). */
  @Patch(':patientId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: "Correct a patient's sex or MDT decision" })
  async correct(
    @Param() params: PatientParams,
    @Body() dto: CorrectPatientDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const summary = await this.patients.correctPatient(scope, params.patientId, version, dto, context);
    if ('version' in summary) void reply.header('ETag', etagOf(summary.version));
    return summary;
  }

  /** The patient's identifiers (every read is logged); 410 once a decline destroyed them. */
  @Get(':patientId/identity')
  @Roles(...SITE_ROLES)
  @identityRead
  @ApiOperation({ summary: "Read a patient's identity (logged)" })
  async identity(
    @Param() params: PatientParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const identity = await this.patients.identity(scope, params.patientId);
    void reply.header('ETag', etagOf(identity.version));
    return identity;
  }

  @Patch(':patientId/identity')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @identityRead
  @ApiOperation({ summary: "Correct a patient's identity" })
  async correctIdentity(
    @Param() params: PatientParams,
    @Body() dto: CorrectIdentityDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const identity = await this.patients.correctIdentity(scope, params.patientId, version, dto, context);
    void reply.header('ETag', etagOf(identity.version));
    return identity;
  }

  /** Who changed what, from which value to which, when and why (from the audit trail). */
  @Get(':patientId/history')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: "Read a patient's history" })
  historyOf(@Param() params: PatientParams, @CurrentScope() scope: SiteScope) {
    return this.history.of(scope, params.patientId);
  }

  /** Move the patient to another site: its staff gain access, the old site's lose it. */
  @Post(':patientId/transfer')
  @HttpCode(200)
  @Roles('data_manager', 'admin')
  @ApiOperation({ summary: 'Transfer a patient to another site' })
  transfer(
    @Param() params: PatientParams,
    @Body() dto: TransferDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
  ) {
    return this.patients.transfer(scope, params.patientId, dto, context);
  }
}
