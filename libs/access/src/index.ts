export { AccessModule } from './access.module.js';
export { ApiKeysService, type ApiKeyView } from './api-keys/api-keys.js';
export { type PasswordToken } from './users/password-token.js';
export { AuthService, type PasswordStepResult, type TokenPair } from './auth/auth.service.js';
export { API_KEY_PREFIX, Authenticator } from './auth/authenticator.js';
export { PasswordHasher } from './auth/password-hasher.js';
export {
  ANONYMOUS_ACTOR,
  auditContextOf,
  CurrentPrincipal,
  CurrentScope,
  RequestAudit,
  type AuthenticatedRequest,
} from './auth/request-context.js';
export { TokenSigner, TOKEN_TYPES, JWT_ALGORITHM } from './auth/token-signer.js';
export { totpCode } from './auth/totp.js';
export { DefaultDenyGuard, REQUEST_AUTHENTICATOR, type RequestAuthenticator } from './default-deny.guard.js';
export {
  NoWebSession,
  WEB_SESSION_COOKIE,
  WebSessions,
  type PendingSignIn,
  type WebPrincipal,
} from './web-sessions/web-sessions.js';
export { LoginThrottle } from './auth/login-throttle.js';
export { ACCESS_ENTITIES, ApiKey, AppUser, Site, UserSite } from './entities.js';
export { SiteScope, type Principal } from './principal.js';
export { AnyRole, Roles, ROLES_KEY } from './roles.decorator.js';
export {
  API_KEY_ROLES,
  CLINICAL_READERS,
  isSiteRole,
  ROLES,
  SITE_ROLES,
  type ApiKeyRole,
  type Role,
} from './roles.js';
export { routeProblems, routeTable, type RouteAccess } from './route-table.js';
export { CreateSiteDto, SitesService, type SiteView } from './sites/sites.js';
export { UsersService, type UserView } from './users/users.js';
export { createAdministrator } from './users/create-admin.js';
export {
  IdentifierReadInterceptor,
  IdentifierReadLog,
  LogsIdentifierRead,
  type IdentifierReadSpec,
} from './identifier-read.js';
export {
  activeNursesOf,
  allSiteIds,
  displayNames,
  findSite,
  lockSite,
  siteFollowUpPhone,
  sitesByCode,
  type SiteSummary,
} from './directory.js';
