import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * Global guard, registered once for every app: a route is closed unless it is declared @Public(). A new
 * endpoint therefore cannot be forgotten open. Authentication (tokens, API keys) and per-route roles plug in
 * here; until a caller can authenticate, every non-public route answers 401.
 */
@Injectable()
export class DefaultDenyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const open = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (open) return true;
    throw new UnauthorizedException('Authentication required');
  }
}
