import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  HttpException,
  Logger,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  auditContextOf,
  Authenticator,
  AuthService,
  CurrentPrincipal,
  RequestAudit,
  Roles,
  type Principal,
} from '../../../../libs/access/src/index.js';
import { AuditService } from '../../../../libs/audit/src/index.js';
import { AppConfig } from '../../../../libs/config/src/index.js';
import { type AuditContext, TransactionService } from '../../../../libs/database/src/index.js';
import { Public, sendProblem } from '../../../../libs/observability/src/index.js';
import type { DashboardGuard } from '../../../../libs/queue/src/index.js';
import { SIGN_IN_PAGE, SIGN_IN_SCRIPT } from './sign-in-page.js';

/** Where bull-board is served: its page, its static assets and its api. */
export const DASHBOARD_PATH = '/admin/queues';
/** The dashboard's session: an administrator's access token, sent only to DASHBOARD_PATH. */
export const DASHBOARD_COOKIE = 'queues_session';
const SIGN_IN_PATH = `${DASHBOARD_PATH}/sign-in`;

function cookieOptions(config: AppConfig, expires?: Date) {
  return {
    path: DASHBOARD_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: config.NODE_ENV === 'production',
    ...(expires ? { expires } : {}),
  };
}

/**
 * The guard of every request to bull-board (page, static assets, api): the dashboard cookie must hold the
 * access token of a live session of an active administrator, checked on each request, so signing out,
 * disabling the account or a role change takes effect at once. A browser asking for the page without a
 * session is sent to the sign-in page; anything else gets 401 (403 for a user who is not an administrator).
 */
export function dashboardGuard(authenticator: Authenticator): DashboardGuard {
  const logger = new Logger('QueueDashboard');
  return async (request, reply) => {
    const token = request.cookies[DASHBOARD_COOKIE];
    let principal: Principal;
    try {
      if (!token) throw new UnauthorizedException('Sign in to the queue dashboard first');
      principal = await authenticator.fromAccessToken(token);
    } catch (error) {
      if (!(error instanceof HttpException)) {
        // The database could not be asked: a dependency is down.
        logger.error({ err: error, requestId: request.id }, 'dashboard session check failed');
        return sendProblem(new ServiceUnavailableException('Cannot check the session now'), request, reply);
      }
      const page = request.method === 'GET' && !/\/(api|static)\//.test(request.url);
      if (page) return reply.redirect(SIGN_IN_PATH, 303);
      return sendProblem(error, request, reply);
    }
    if (!principal.roles.includes('admin')) {
      return sendProblem(new ForbiddenException('The queue dashboard is for administrators'), request, reply);
    }
  };
}

/**
 * Opening and closing the queue dashboard. bull-board is a browser page and cannot send a bearer token, so an
 * administrator (through the sign-in page, or any client holding their access token) trades the token for an
 * HttpOnly, SameSite=Strict cookie limited to the dashboard's path, valid as long as the token.
 */
@ApiTags('admin')
@Controller('admin/queues')
export class QueueDashboardController {
  constructor(
    private readonly config: AppConfig,
    private readonly authenticator: Authenticator,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly transactions: TransactionService,
  ) {}

  @Post('session')
  @ApiBearerAuth()
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Open the queue dashboard (admin): sets its session cookie' })
  async open(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @RequestAudit() context: AuditContext,
  ): Promise<void> {
    const { expiresAt } = principal;
    if (principal.kind !== 'user' || !expiresAt) {
      throw new ForbiddenException('The dashboard is opened by a signed-in user');
    }
    // The guard has just verified this token, and read its expiry into the principal.
    const token = (request.headers.authorization ?? '').replace(/^Bearer /i, '');
    await this.transactions.run(context, (em) =>
      this.audit.record(em, context, {
        action: 'queues.dashboard_opened',
        entityType: 'app_user',
        entityId: principal.id,
        details: { sessionId: principal.sessionId, until: expiresAt.toISOString() },
      }),
    );
    void reply.setCookie(DASHBOARD_COOKIE, token, cookieOptions(this.config, expiresAt));
  }

  /** Ends the dashboard's session (the whole sign-in it came from) and forgets the cookie. */
  @Get('sign-out')
  @Public()
  @ApiExcludeEndpoint()
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const token = request.cookies[DASHBOARD_COOKIE];
    const principal = token ? await this.authenticator.fromAccessToken(token).catch(() => null) : null;
    const sessionId = principal?.sessionId;
    if (principal && sessionId) {
      const context = auditContextOf(request, principal);
      await this.transactions.run(context, (em) =>
        this.auth.endSession(em, context, principal.id, sessionId),
      );
    }
    void reply
      .clearCookie(DASHBOARD_COOKIE, cookieOptions(this.config))
      .header('cache-control', 'no-store')
      .redirect(SIGN_IN_PATH, 303);
  }

  @Get('sign-in')
  @Public()
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  signInPage(): string {
    return SIGN_IN_PAGE;
  }

  @Get('sign-in.js')
  @Public()
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/javascript; charset=utf-8')
  signInScript(): string {
    return SIGN_IN_SCRIPT;
  }
}
