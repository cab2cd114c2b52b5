import type { EntityManager } from 'typeorm';
import { EntityRows } from '../../database/src/index.js';
import { Site } from './entities.js';

/**
 * What other libs read of sites and users, asked here: access's tables are named in access alone. Each read
 * runs on the caller's EntityManager, inside the caller's transaction when there is one.
 */

/** A site as other libs show it. */
export interface SiteSummary {
  readonly id: string;
  readonly code: string;
  readonly name: string;
}

const summaryOf = (site: Site): SiteSummary => ({ id: site.id, code: site.code, name: site.name });

/**
 * The site, or null. A prepared statement (EntityRows): the patient summary, the registry's most frequent
 * read, asks for its patient's site.
 */
export async function findSite(em: EntityManager, siteId: string): Promise<Site | null> {
  const [site] = await EntityRows.of(em, Site).where(em, 'id = $1', [siteId]);
  return site ?? null;
}

/**
 * The site locked for the rest of the transaction (FOR UPDATE), or null: what hangs off one site and must
 * be given out one at a time (its registry numbers) is serialised by this lock.
 */
export async function lockSite(em: EntityManager, siteId: string): Promise<SiteSummary | null> {
  const site = await em
    .createQueryBuilder(Site, 'site')
    .where('site.id = :siteId', { siteId })
    .setLock('pessimistic_write')
    .getOne();
  return site ? summaryOf(site) : null;
}

/** Every site's id, in the order of their codes. */
export async function allSiteIds(em: EntityManager): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(`SELECT id FROM site ORDER BY code`);
  return rows.map((r) => r.id);
}

/** The sites of these codes that exist. */
export async function sitesByCode(em: EntityManager, codes: readonly string[]): Promise<SiteSummary[]> {
  const rows = await em.query<SiteSummary[]>(`SELECT id, code, name FROM site WHERE code = ANY($1::text[])`, [
    codes,
  ]);
  return rows;
}

/** The number patients of the site call about their follow-up (reminders carry it), or null. */
export async function siteFollowUpPhone(em: EntityManager, siteId: string): Promise<string | null> {
  const [site] = await em.query<Array<{ follow_up_phone: string | null }>>(
    `SELECT follow_up_phone FROM site WHERE id = $1`,
    [siteId],
  );
  return site?.follow_up_phone ?? null;
}

/** The site's research nurses who can sign in (not disabled), by e-mail address. */
export async function activeNursesOf(
  em: EntityManager,
  siteId: string,
): Promise<Array<{ readonly id: string; readonly email: string }>> {
  return em.query<Array<{ id: string; email: string }>>(
    `SELECT u.id, u.email FROM app_user u JOIN user_site us ON us.user_id = u.id
      WHERE us.site_id = $1 AND u.role = 'research_nurse' AND u.disabled_at IS NULL
      ORDER BY u.email`,
    [siteId],
  );
}

/** The display names of these users (ids without a user are left out). */
export async function displayNames(
  em: EntityManager,
  userIds: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await em.query<Array<{ id: string; display_name: string }>>(
    `SELECT id::text AS id, display_name FROM app_user WHERE id::text = ANY($1::text[])`,
    [userIds],
  );
  return new Map(rows.map((r) => [r.id, r.display_name]));
}
