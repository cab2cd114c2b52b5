import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf } from 'class-validator';
import { type AuditContext, isUniqueViolation, TransactionService } from '../../../database/src/index.js';
import { SITE_REGIONS, type Site, type SiteRegion } from '../entities.js';
import { SiteScope } from '../principal.js';
import { IsNotBlank } from '../../../observability/src/index.js';
import {
  findSiteInScope,
  findSiteOrFail,
  insertSite,
  listSitesInScope,
  updateSite,
} from './sites.queries.js';

/** Digits and spaces, one leading '+' (the same rule as the column's check). */
const FOLLOW_UP_PHONE = /^\+?[0-9][0-9 ]{4,18}[0-9]$/;
const FOLLOW_UP_PHONE_MESSAGE = 'must be a telephone number of 6-20 digits and spaces, optionally after a +';
const FOLLOW_UP_PHONE_DESCRIPTION =
  'The number patients call about their follow-up: patient reminders end with it (null: "the number on your ' +
  'appointment letter").';

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
  @IsNotBlank()
  name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '0114 271 1900',
    description: FOLLOW_UP_PHONE_DESCRIPTION,
  })
  @IsOptional()
  @Matches(FOLLOW_UP_PHONE, { message: FOLLOW_UP_PHONE_MESSAGE })
  followUpPhone?: string | null;
  @ApiPropertyOptional({
    enum: SITE_REGIONS,
    nullable: true,
    description: 'The site’s NHS England region: an external-audit export may show it in place of the site.',
  })
  @IsOptional()
  @IsIn(SITE_REGIONS)
  region?: SiteRegion | null;
}

/** A change to a site: only the fields sent change; `followUpPhone: null` removes the number. */
export class UpdateSiteDto {
  @ApiPropertyOptional({ example: 'Northern General Hospital', maxLength: 200 })
  // A name cannot be removed: null is refused, only an absent name is left as it is.
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Length(1, 200)
  @IsNotBlank()
  name?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '0114 271 1900',
    description: FOLLOW_UP_PHONE_DESCRIPTION,
  })
  @IsOptional()
  @Matches(FOLLOW_UP_PHONE, { message: FOLLOW_UP_PHONE_MESSAGE })
  followUpPhone?: string | null;
  @ApiPropertyOptional({
    enum: SITE_REGIONS,
    nullable: true,
    description: 'The site’s NHS England region: an external-audit export may show it in place of the site.',
  })
  @IsOptional()
  @IsIn(SITE_REGIONS)
  region?: SiteRegion | null;
}

export class SiteParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  siteId: string;
}

export interface SiteView {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly followUpPhone: string | null;
  readonly region: SiteRegion | null;
  readonly createdAt: string;
}

function view(site: Site): SiteView {
  return {
    id: site.id,
    code: site.code,
    name: site.name,
    followUpPhone: site.followUpPhone,
    region: site.region,
    createdAt: site.createdAt.toISOString(),
  };
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
        const id = await insertSite(em, {
          code: dto.code,
          name: dto.name.trim(),
          followUpPhone: dto.followUpPhone ?? null,
          region: dto.region ?? null,
        });
        return view(await findSiteOrFail(em, id));
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictException(`A site with code ${dto.code} already exists`);
      throw error;
    }
  }

  /** The sites the caller may see: their own for site roles, all for registry-wide roles. */
  async list(scope: SiteScope): Promise<SiteView[]> {
    const sites = await listSitesInScope(this.dataSource.manager, scope);
    return sites.map(view);
  }

  async get(scope: SiteScope, siteId: string): Promise<SiteView> {
    return view(await this.findInScope(this.dataSource.manager, scope, siteId));
  }

  async update(
    scope: SiteScope,
    siteId: string,
    dto: UpdateSiteDto,
    context: AuditContext,
  ): Promise<SiteView> {
    return this.transactions.run(context, async (em) => {
      const site = await this.findInScope(em, scope, siteId);
      const changes: Partial<Pick<Site, 'name' | 'followUpPhone' | 'region'>> = {};
      if (dto.name !== undefined) changes.name = dto.name.trim();
      if (dto.followUpPhone !== undefined) changes.followUpPhone = dto.followUpPhone;
      if (dto.region !== undefined) changes.region = dto.region;
      if (Object.keys(changes).length === 0) return view(site);
      await updateSite(em, site.id, changes);
      return view(await findSiteOrFail(em, site.id));
    });
  }

  /** Read in the caller's transaction (when writing), so the row checked is the row changed. */
  private async findInScope(em: EntityManager, scope: SiteScope, siteId: string): Promise<Site> {
    const site = await findSiteInScope(em, scope, siteId);
    // Another site's row answers exactly as a missing one: its existence is not disclosed.
    if (!site) throw new NotFoundException('Site not found');
    return site;
  }
}
