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
  IF_MATCH_HEADER,
  IfMatch,
  PatientParams,
  ReasonDto,
  RecordParams,
  tagged,
} from '../../../registry/src/index.js';
import { BookAppointmentDto, MoveAppointmentDto } from './appointment.dto.js';
import { AppointmentsService, FollowUpAppointments } from './appointments.js';

/**
 * Follow-up appointments: booked for a visit at a local date and time (Europe/London), moved, cancelled,
 * and recorded as attended or missed. Every change after booking names the version read (If-Match).
 */
@ApiTags('follow-up')
@ApiBearerAuth()
@Controller('patients/:patientId/appointments')
export class AppointmentsController {
  constructor(
    private readonly appointments: AppointmentsService,
    private readonly read: FollowUpAppointments,
  ) {}

  @Post()
  @Roles(...SITE_ROLES)
  @ApiOperation({ summary: 'Book an appointment for a visit' })
  async book(
    @Param() params: PatientParams,
    @Body() dto: BookAppointmentDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.appointments.book(scope, params.patientId, dto, context));
  }

  @Get(':recordId')
  @Roles(...CLINICAL_READERS)
  @ApiOperation({ summary: 'Read an appointment and its reminders' })
  async get(
    @Param() params: RecordParams,
    @CurrentScope() scope: SiteScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(reply, await this.read.get(scope, params.patientId, params.recordId));
  }

  /** Move to another local date or time (or change mode or place), with a reason. */
  @Patch(':recordId')
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Move an appointment' })
  async move(
    @Param() params: RecordParams,
    @Body() dto: MoveAppointmentDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.appointments.move(scope, params.patientId, params.recordId, version, dto, context),
    );
  }

  @Post(':recordId/cancel')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Cancel an appointment' })
  async cancel(
    @Param() params: RecordParams,
    @Body() dto: ReasonDto,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.appointments.cancel(scope, params.patientId, params.recordId, version, dto.reason, context),
    );
  }

  @Post(':recordId/attended')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Record that the patient attended' })
  async attended(
    @Param() params: RecordParams,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.appointments.record(scope, params.patientId, params.recordId, version, 'attended', context),
    );
  }

  /** A no-show: the visit stays due while its window is open. */
  @Post(':recordId/missed')
  @HttpCode(200)
  @Roles(...SITE_ROLES)
  @IF_MATCH_HEADER
  @ApiOperation({ summary: 'Record that the patient did not attend' })
  async missed(
    @Param() params: RecordParams,
    @IfMatch() version: number,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return tagged(
      reply,
      await this.appointments.record(scope, params.patientId, params.recordId, version, 'missed', context),
    );
  }
}
