import { NotFoundException } from '@nestjs/common';
import type { Role } from './roles.js';
import { isSiteRole } from './roles.js';

/** Who is calling, as the guard established it from a verified access token or API key. */
export interface Principal {
  readonly kind: 'user' | 'api_key';
  readonly id: string;
  readonly roles: readonly Role[];
  /** Sites of a site role; empty for registry-wide roles. */
  readonly siteIds: readonly string[];
  /** How the audit trail names this caller: `user:<uuid>` or `api_key:<uuid>`. */
  readonly actor: string;
  /** The sign-in (refresh-token family) an access token belongs to; none for an API key. */
  readonly sessionId?: string;
  /** When the access token stops working; none for an API key. */
  readonly expiresAt?: Date;
}

/**
 * The sites whose rows a caller may see or change. Only the guard can build one (from the authenticated
 * principal), and every repository method that reads or writes site-owned rows takes one: a query cannot be
 * written without a scope, and the scope never comes from the request body.
 */
export class SiteScope {
  private constructor(
    /** True for registry-wide roles (data manager, auditor, administrator). */
    readonly allSites: boolean,
    readonly siteIds: readonly string[],
  ) {}

  /** All sites only for a registry-wide role; otherwise the principal's sites (none without a role). */
  static of(principal: Principal): SiteScope {
    const registryWide = principal.roles.some((role) => !isSiteRole(role));
    return registryWide ? new SiteScope(true, []) : new SiteScope(false, [...principal.siteIds]);
  }

  includes(siteId: string): boolean {
    return this.allSites || this.siteIds.includes(siteId);
  }

  /**
   * A SQL condition on a site id column and its parameters, for query builders: `TRUE` for registry-wide
   * roles, `<column> = ANY(:scopeSiteIds)` otherwise (an empty list matches nothing).
   */
  where(column: string): { sql: string; params: Record<string, unknown> } {
    if (this.allSites) return { sql: 'TRUE', params: {} };
    return { sql: `${column} = ANY(:scopeSiteIds)`, params: { scopeSiteIds: [...this.siteIds] } };
  }

  /**
   * The same condition for hand-written SQL with positional parameters: `<column> = ANY($<index>)` and its
   * one parameter, or `TRUE` and none.
   */
  whereAt(column: string, index: number): { sql: string; params: unknown[] } {
    if (this.allSites) return { sql: 'TRUE', params: [] };
    return { sql: `${column} = ANY($${index})`, params: [[...this.siteIds]] };
  }

  /** Answers 404, not 403, for a row of another site: its existence is not disclosed. */
  assertIncludes(siteId: string, what: string): void {
    if (!this.includes(siteId)) throw new NotFoundException(`${what} not found`);
  }

  /** This scope narrowed to one of its sites (a list of that site's rows); 404 for a site outside it. */
  only(siteId: string): SiteScope {
    this.assertIncludes(siteId, 'Site');
    return new SiteScope(false, [siteId]);
  }
}
