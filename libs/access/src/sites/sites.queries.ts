import type { EntityManager } from 'typeorm';
import { Site } from '../entities.js';
import type { SiteScope } from '../principal.js';

/** The sites feature's reads and writes of sites (other libs read sites through directory.ts). */

/** A new site; returns its id. */
export async function insertSite(
  em: EntityManager,
  site: Pick<Site, 'code' | 'name' | 'followUpPhone' | 'region'>,
): Promise<string> {
  const { identifiers } = await em.insert(Site, {
    code: site.code,
    name: site.name,
    followUpPhone: site.followUpPhone,
    region: site.region,
  });
  return identifiers[0].id as string;
}

export function findSiteOrFail(em: EntityManager, siteId: string): Promise<Site> {
  return em.findOneByOrFail(Site, { id: siteId });
}

/** The sites in the scope, by code. */
export function listSitesInScope(em: EntityManager, scope: SiteScope): Promise<Site[]> {
  const where = scope.where('site.id');
  return em.createQueryBuilder(Site, 'site').where(where.sql, where.params).orderBy('site.code').getMany();
}

/** The site if it is in the scope, or null (another site's row answers exactly as a missing one). */
export function findSiteInScope(em: EntityManager, scope: SiteScope, siteId: string): Promise<Site | null> {
  const where = scope.where('site.id');
  return em
    .createQueryBuilder(Site, 'site')
    .where('site.id = :siteId', { siteId })
    .andWhere(where.sql, where.params)
    .getOne();
}

export async function updateSite(
  em: EntityManager,
  siteId: string,
  changes: Partial<Pick<Site, 'name' | 'followUpPhone' | 'region'>>,
): Promise<void> {
  await em.update(Site, { id: siteId }, changes);
}
