import { SetMetadata } from '@nestjs/common';
import { ROLES, type Role } from './roles.js';

export const ROLES_KEY = 'ecmo:roles';

/**
 * The roles that may call a route (or every route of a controller). Every route that is not @Public()
 * declares its roles: the app refuses to start otherwise, and the authorization matrix test covers each.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => {
  if (roles.length === 0) throw new Error('@Roles() needs at least one role');
  return SetMetadata(ROLES_KEY, roles);
};

/** Any signed-in role (their own account, sign-out). */
export const AnyRole = (): MethodDecorator & ClassDecorator => Roles(...ROLES);
