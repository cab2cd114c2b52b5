import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from './auth/request-context.js';
import type { Principal } from './principal.js';
import { IS_PUBLIC } from '../../observability/src/index.js';
import { ROLES_KEY } from './roles.decorator.js';
import type { Role } from './roles.js';

/** How an app tells who is calling: the api from a bearer token or API key, the web app from its session. */
export interface RequestAuthenticator {
  authenticate(request: AuthenticatedRequest): Promise<Principal>;
}
export const REQUEST_AUTHENTICATOR = Symbol('REQUEST_AUTHENTICATOR');

/**
 * The one place authorization is enforced, registered for every app: a route is closed unless it is
 * @Public(); otherwise the caller must authenticate (401) and hold one of the route's @Roles() (403). A route
 * without declared roles is refused to everyone (and the app does not start with one: see routeProblems).
 * The api authenticates a bearer token or API key, the web app its session cookie; the worker has no
 * authenticator: every non-public route there answers 401.
 */
@Injectable()
export class DefaultDenyGuard implements CanActivate {
  private readonly logger = new Logger(DefaultDenyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(REQUEST_AUTHENTICATOR) private readonly authenticator?: RequestAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    if (!this.authenticator) throw new UnauthorizedException('Authentication required');

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticator.authenticate(request);
    request.principal = principal;

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} declares no roles: refused`);
      throw new ForbiddenException('This route declares no roles');
    }
    if (!principal.roles.some((role) => allowed.includes(role))) {
      throw new ForbiddenException('Your role may not do this');
    }
    return true;
  }
}
