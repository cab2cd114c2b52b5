/** The roles of domain guide §2. A user has exactly one. */
export const ROLES = ['research_nurse', 'site_investigator', 'data_manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The site's clinical staff, who record clinical data (domain guide §2), and work at their own sites only:
 * their reads and writes are filtered to the user's sites. The one list of them.
 */
export const SITE_ROLES = ['research_nurse', 'site_investigator'] as const satisfies readonly Role[];

/** Who reads clinical data: the clinical staff at their sites, data managers at all. */
export const CLINICAL_READERS = [...SITE_ROLES, 'data_manager'] as const satisfies readonly Role[];

/**
 * Roles a service account's API key may carry. An API key bypasses multi-factor authentication, so it never
 * carries a role that administers users or touches a site's clinical records.
 */
export const API_KEY_ROLES = ['auditor', 'data_manager'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export function isSiteRole(role: Role): boolean {
  return (SITE_ROLES as readonly Role[]).includes(role);
}
