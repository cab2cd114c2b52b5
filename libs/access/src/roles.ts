/** The roles of domain guide §2. A user has exactly one. */
export const ROLES = ['research_nurse', 'site_investigator', 'data_manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that work at their own sites only: their reads and writes are filtered to the user's sites. */
export const SITE_ROLES: readonly Role[] = ['research_nurse', 'site_investigator'];

/**
 * Roles a service account's API key may carry. An API key bypasses multi-factor authentication, so it never
 * carries a role that administers users or touches a site's clinical records.
 */
export const API_KEY_ROLES = ['auditor', 'data_manager'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export function isSiteRole(role: Role): boolean {
  return SITE_ROLES.includes(role);
}
