import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type AuditContext } from '../../../database/src/index.js';
import { SiteScope } from '../principal.js';
import { CurrentScope, RequestAudit } from '../auth/request-context.js';
import { AnyRole, Roles } from '../roles.decorator.js';
import { CreateSiteDto, SiteParams, type SiteView, SitesService, UpdateSiteDto } from './sites.js';

@ApiTags('sites')
@ApiBearerAuth()
@Controller('sites')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateSiteDto, @RequestAudit() context: AuditContext): Promise<SiteView> {
    return this.sites.create(dto, context);
  }

  @Get()
  @AnyRole()
  list(@CurrentScope() scope: SiteScope): Promise<SiteView[]> {
    return this.sites.list(scope);
  }

  @Get(':siteId')
  @AnyRole()
  get(@Param() params: SiteParams, @CurrentScope() scope: SiteScope): Promise<SiteView> {
    return this.sites.get(scope, params.siteId);
  }

  @Patch(':siteId')
  @Roles('admin')
  update(
    @Param() params: SiteParams,
    @Body() dto: UpdateSiteDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
  ): Promise<SiteView> {
    return this.sites.update(scope, params.siteId, dto, context);
  }
}
