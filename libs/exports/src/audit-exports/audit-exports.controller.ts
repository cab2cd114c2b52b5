import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createReadStream } from 'node:fs';
import { CurrentPrincipal, RequestAudit, Roles, type Principal } from '../../../access/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import { AuditExportsService } from './audit-exports.service.js';
import { ExportFileParams, ExportParams, ListExportsQuery, RequestExportDto } from './dto.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/**
 * Audit exports (domain guide §5): requested by a data manager or the auditor's service account, generated
 * by the worker, then downloaded file by file. The auditor sees the external-audit profile only.
 */
@ApiTags('exports')
@ApiBearerAuth()
@Controller('exports')
export class AuditExportsController {
  constructor(private readonly exports: AuditExportsService) {}

  /** Ask for an export (202: the worker generates it; follow it at GET /exports/:exportId). */
  @Post()
  @HttpCode(202)
  @Roles('data_manager', 'auditor')
  @ApiOperation({ summary: 'Ask for an audit export' })
  request(
    @Body() dto: RequestExportDto,
    @CurrentPrincipal() principal: Principal,
    @RequestAudit() context: AuditContext,
  ) {
    return this.exports.request(principal, dto, context);
  }

  @Get()
  @Roles('data_manager', 'auditor')
  @ApiOperation({ summary: 'List the audit exports' })
  list(@Query() query: ListExportsQuery, @CurrentPrincipal() principal: Principal) {
    return this.exports.list(principal, query.profile, query.limit);
  }

  /** Status, progress while generating, and, once ready, the files with their SHA-256. */
  @Get(':exportId')
  @Roles('data_manager', 'auditor')
  @ApiOperation({ summary: "Follow an audit export's progress" })
  get(@Param() params: ExportParams, @CurrentPrincipal() principal: Principal) {
    return this.exports.get(principal, params.exportId);
  }

  /** One file of a ready export (recorded in the audit trail); `Repr-Digest` carries its SHA-256. */
  @Get(':exportId/files/:file')
  @Roles('data_manager', 'auditor')
  @ApiOperation({ summary: "Download one of an export's files" })
  async download(
    @Param() params: ExportFileParams,
    @CurrentPrincipal() principal: Principal,
    @RequestAudit() context: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const { path, file, record } = await this.exports.download(
      principal,
      params.exportId,
      params.file,
      context,
    );
    const extension = file.name.slice(file.name.lastIndexOf('.') + 1);
    const download = `ecmo-${record.profile}-${record.cutOff}-v${record.version}-${file.name}`;
    void reply.header('Repr-Digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`);
    return new StreamableFile(createReadStream(path), {
      type: CONTENT_TYPES[extension],
      disposition: `attachment; filename="${download}"`,
      length: file.bytes,
    });
  }
}
