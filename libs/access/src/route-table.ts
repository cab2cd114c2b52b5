import { Injectable, RequestMethod, type OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../../observability/src/index.js';
import { ROLES_KEY } from './roles.decorator.js';
import type { Role } from './roles.js';
import { StartupRefusal } from '../../database/src/index.js';

/** One HTTP route of the app as Nest registered it, with its access declaration. */
export interface RouteAccess {
  readonly method: string;
  /** Fastify-style path with `:params`, e.g. `/sites/:siteId`. */
  readonly path: string;
  readonly handler: string;
  readonly isPublic: boolean;
  readonly roles: readonly Role[] | undefined;
}

function joinPath(...parts: (string | undefined)[]): string {
  const joined = parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter((p) => p !== '')
    .join('/');
  return `/${joined}`;
}

/** The route table of a running app, read from the controllers' metadata (the same Nest routes from). */
export function routeTable(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): RouteAccess[] {
  const routes: RouteAccess[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!controller || !wrapper.instance) continue;
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const targets = [handler, controller];
      for (const b of [base].flat()) {
        for (const p of [path].flat()) {
          routes.push({
            method: RequestMethod[method],
            path: joinPath(b, p),
            handler: `${controller.name}.${name}`,
            isPublic: reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
            roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
          });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/**
 * Routes whose access is not what it seems: neither public nor with declared roles (closed to everyone by
 * accident), or both (a controller's @Public() would silently open a method's @Roles()).
 */
export function routeProblems(routes: readonly RouteAccess[]): string[] {
  return routes.flatMap((r) => {
    const name = `${r.method} ${r.path} (${r.handler})`;
    const hasRoles = (r.roles?.length ?? 0) > 0;
    if (!r.isPublic && !hasRoles) return [`${name} declares no roles: add @Roles(...) or @Public()`];
    if (r.isPublic && hasRoles) return [`${name} is both @Public() and @Roles(...): choose one`];
    return [];
  });
}

export class UndeclaredRouteAccess extends StartupRefusal {}

/** Refuses to start an app with a route that declares no access: it would be a route nobody may call. */
@Injectable()
export class RouteAccessCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const problems = routeProblems(routeTable(this.discovery, this.scanner, this.reflector));
    if (problems.length > 0) throw new UndeclaredRouteAccess(problems.join('\n'));
  }
}
