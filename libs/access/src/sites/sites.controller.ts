import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'Create a site' })
  create(@Body() dto: CreateSiteDto, @RequestAudit() context: AuditContext): Promise<SiteView> {
    return this.sites.create(dto, context);
  }

  @Get()
  @AnyRole()
  @ApiOperation({ summary: 'List the sites' })
  list(@CurrentScope() scope: SiteScope): Promise<SiteView[]> {
    return this.sites.list(scope);
  }

  @Get(':siteId')
  @AnyRole()
  @ApiOperation({ summary: 'Read a site' })
  get(@Param() params: SiteParams, @CurrentScope() scope: SiteScope): Promise<SiteView> {
    return this.sites.get(scope, params.siteId);
  }

  @Patch(':siteId')
  @Roles('admin')
  @ApiOperation({ summary: "Change a site's name or follow-up phone" })
  update(
    @Param() params: SiteParams,
    @Body() dto: UpdateSiteDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
  ): Promise<SiteView> {
    return this.sites.update(scope, params.siteId, dto, context);
  }
}
