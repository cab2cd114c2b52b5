import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditContext } from '../../../database/src/index.js';
import { CurrentPrincipal, RequestAudit } from '../auth/request-context.js';
import type { Principal } from '../principal.js';
import { Roles } from '../roles.decorator.js';
import { ApiKeyParams, type ApiKeyView, ApiKeysService, CreateApiKeyDto } from './api-keys.js';

@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key for a service account' })
  create(
    @Body() dto: CreateApiKeyDto,
    @CurrentPrincipal() creator: Principal,
    @RequestAudit() context: AuditContext,
  ): Promise<{ apiKey: ApiKeyView; key: string }> {
    return this.keys.create(creator, dto, context);
  }

  @Get()
  @ApiOperation({ summary: 'List the API keys' })
  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  @Post(':apiKeyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key' })
  revoke(
    @Param() params: ApiKeyParams,
    @CurrentPrincipal() revoker: Principal,
    @RequestAudit() context: AuditContext,
  ): Promise<ApiKeyView> {
    return this.keys.revoke(revoker, params.apiKeyId, context);
  }
}
