import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type AuditContext, requestWrites } from '../../../database/src/index.js';
import { SiteScope, type Principal } from '../principal.js';

/** The request as the guard leaves it: the principal set on every route that is not public. */
export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

export const ANONYMOUS_ACTOR = 'anonymous';

/**
 * Who, from where, in which request: the audit context of the caller (anonymous on public routes). The
 * principal defaults to the one the guard set on the request.
 */
export function auditContextOf(
  request: FastifyRequest,
  principal: Principal | undefined = (request as AuthenticatedRequest).principal,
): AuditContext {
  return {
    actor: principal?.actor ?? ANONYMOUS_ACTOR,
    requestId: String(request.id),
    clientAddress: request.ip,
    writes: requestWrites(request),
  };
}

function principalOf(context: ExecutionContext): Principal {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  // The guard sets it on every non-public route; reaching here without one is a programming error.
  if (!request.principal)
    throw new Error('No principal: @CurrentPrincipal()/@CurrentScope() on a public route');
  return request.principal;
}

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) =>
  principalOf(context),
);

/** The caller's site scope, derived from the principal only (never from the request). */
export const CurrentScope = createParamDecorator((_: unknown, context: ExecutionContext) =>
  SiteScope.of(principalOf(context)),
);

/** The audit context of the request (actor, request id, client address). */
export const RequestAudit = createParamDecorator((_: unknown, context: ExecutionContext) =>
  auditContextOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
