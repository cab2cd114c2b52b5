import {
  Body,
  ConflictException,
  Controller,
  Get,
  Injectable,
  NotFoundException,
  Param,
  Patch,
  Post,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, IsUUID, Length, Matches } from 'class-validator';
import type { AuditContext } from '../../../database/src/audit-context.js';
import { TransactionService } from '../../../database/src/index.js';
import { Site } from '../entities.js';
import { SiteScope } from '../principal.js';
import { CurrentScope, RequestAudit } from '../auth/request-context.js';
import { AnyRole, Roles } from '../roles.decorator.js';
import { isUniqueViolation } from '../unique-violation.js';

export class CreateSiteDto {
  /** 2–10 upper-case letters and digits, starting with a letter: the prefix of the site's registry IDs. */
  @ApiProperty({ example: 'NGH', pattern: '^[A-Z][A-Z0-9]{1,9}$' })
  @Matches(/^[A-Z][A-Z0-9]{1,9}$/, {
    message: 'must be 2-10 upper-case letters or digits, starting with a letter',
  })
  code: string;

  @ApiProperty({ example: 'Northern General Hospital', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;
}

export class RenameSiteDto {
  @ApiProperty({ example: 'Northern General Hospital', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;
}

export class SiteParams {
  @IsUUID()
  siteId: string;
}

export interface SiteView {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly createdAt: string;
}

function view(site: Site): SiteView {
  return { id: site.id, code: site.code, name: site.name, createdAt: site.createdAt.toISOString() };
}

@Injectable()
export class SitesService {
  constructor(
    private readonly transactions: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async create(dto: CreateSiteDto, context: AuditContext): Promise<SiteView> {
    try {
      return await this.transactions.run(context, async (em) => {
        const { identifiers } = await em.insert(Site, { code: dto.code, name: dto.name.trim() });
        return view(await em.findOneByOrFail(Site, { id: identifiers[0].id as string }));
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictException(`A site with code ${dto.code} already exists`);
      throw error;
    }
  }

  /** The sites the caller may see: their own for site roles, all for registry-wide roles. */
  async list(scope: SiteScope): Promise<SiteView[]> {
    const where = scope.where('site.id');
    const sites = await this.dataSource
      .createQueryBuilder(Site, 'site')
      .where(where.sql, where.params)
      .orderBy('site.code')
      .getMany();
    return sites.map(view);
  }

  async get(scope: SiteScope, siteId: string): Promise<SiteView> {
    return view(await this.findInScope(this.dataSource.manager, scope, siteId));
  }

  async rename(
    scope: SiteScope,
    siteId: string,
    dto: RenameSiteDto,
    context: AuditContext,
  ): Promise<SiteView> {
    return this.transactions.run(context, async (em) => {
      const site = await this.findInScope(em, scope, siteId);
      await em.update(Site, { id: site.id }, { name: dto.name.trim() });
      return view(await em.findOneByOrFail(Site, { id: site.id }));
    });
  }

  /** Read in the caller's transaction (when writing), so the row checked is the row changed. */
  private async findInScope(em: EntityManager, scope: SiteScope, siteId: string): Promise<Site> {
    const where = scope.where('site.id');
    const site = await em
      .createQueryBuilder(Site, 'site')
      .where('site.id = :siteId', { siteId })
      .andWhere(where.sql, where.params)
      .getOne();
    // Another site's row answers exactly as a missing one: its existence is not disclosed.
    if (!site) throw new NotFoundException('Site not found');
    return site;
  }
}

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
  rename(
    @Param() params: SiteParams,
    @Body() dto: RenameSiteDto,
    @CurrentScope() scope: SiteScope,
    @RequestAudit() context: AuditContext,
  ): Promise<SiteView> {
    return this.sites.rename(scope, params.siteId, dto, context);
  }
}
