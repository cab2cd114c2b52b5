import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Csrf from '@fastify/csrf';
import {
  Catch,
  ForbiddenException,
  HttpException,
  Injectable,
  Logger,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  NoWebSession,
  WEB_SESSION_COOKIE,
  type Role,
  type WebPrincipal,
} from '../../../libs/access/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import { deriveKey } from '../../../libs/crypto/src/index.js';
import { problemOf } from '../../../libs/observability/src/index.js';

/** Where `npm run build` puts the web application's templates, assets and their manifest (from the root). */
export const WEB_DIST = 'dist/apps/web';
/** The NHS design system's templates (nunjucks macros). */
export const NHSUK_TEMPLATES = 'node_modules/nhsuk-frontend/dist';

/** The cookie holding the secret that CSRF tokens are made from (signed). */
export const CSRF_COOKIE = 'ecmo_csrf';

export const ROLE_LABELS: Record<Role, string> = {
  research_nurse: 'Research nurse',
  site_investigator: 'Site investigator',
  data_manager: 'Data manager',
  auditor: 'Auditor',
  admin: 'Administrator',
};

export type WebRequest = FastifyRequest & { principal?: WebPrincipal };

/** A field's error, as the NHS error summary and the field's own message show it. */
export interface FormError {
  readonly field: string;
  readonly text: string;
  /** Where the error summary's link goes: the field on this page (`#field`) unless it is on another page. */
  readonly href?: string;
}

/** The session cookie's attributes: HttpOnly, SameSite=Lax, Secure except plain-HTTP development. */
export function sessionCookie(config: AppConfig) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.NODE_ENV === 'production',
  };
}

/** Sets (or, with null, clears) the session cookie. */
export function setSessionCookie(reply: FastifyReply, config: AppConfig, token: string | null): void {
  if (token === null) void reply.clearCookie(WEB_SESSION_COOKIE, sessionCookie(config));
  else void reply.setCookie(WEB_SESSION_COOKIE, token, sessionCookie(config));
}

/**
 * CSRF tokens (@fastify/csrf): the secret in a signed, HttpOnly cookie, each token bound (HMAC) to the
 * browser's session token, so a token made for one session (or for none, on the sign-in page) is refused in
 * another, and a secret planted by a sibling site does not help.
 */
@Injectable()
export class CsrfTokens {
  private readonly tokens: Csrf.TokensUserinfo;

  constructor(private readonly config: AppConfig) {
    this.tokens = Csrf({
      userInfo: true,
      hmacKey: deriveKey(config.WEB_SESSION_SECRET ?? '', 'ecmo-registry web csrf'),
    });
  }

  /** A token for the forms of this answer (the secret cookie is set if the browser has none yet). */
  tokenFor(request: FastifyRequest, reply: FastifyReply): string {
    let secret = this.secretOf(request, reply);
    if (!secret) {
      secret = this.tokens.secretSync();
      void reply.setCookie(CSRF_COOKIE, secret, { ...sessionCookie(this.config), signed: true });
      // The same answer may render more than one form.
      (request.cookies as Record<string, string>)[CSRF_COOKIE] = reply.signCookie(secret);
    }
    return this.tokens.create(secret, userInfoOf(request));
  }

  verify(request: FastifyRequest, reply: FastifyReply): boolean {
    const secret = this.secretOf(request, reply);
    const token = (request.body as { _csrf?: unknown } | undefined)?._csrf;
    return !!secret && typeof token === 'string' && this.tokens.verify(secret, token, userInfoOf(request));
  }

  private secretOf(request: FastifyRequest, reply: FastifyReply): string | null {
    const cookie = request.cookies[CSRF_COOKIE];
    if (!cookie) return null;
    const unsigned = reply.unsignCookie(cookie);
    return unsigned.valid ? unsigned.value : null;
  }
}

/** What a token is bound to: the browser's session token, or none yet (never empty: @fastify/csrf refuses ''). */
function userInfoOf(request: FastifyRequest): string {
  return `session:${request.cookies[WEB_SESSION_COOKIE] ?? ''}`;
}

/** A form posted without a valid CSRF token: refused before anything is read or changed. */
export class CsrfRefused extends ForbiddenException {
  constructor() {
    super('This form could not be sent: it was out of date or did not come from this service');
  }
}

/** Every POST (public ones too: sign-in, password reset) carries the CSRF token of its form. */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly csrf: CsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (request.method === 'GET' || request.method === 'HEAD') return true;
    if (!this.csrf.verify(request, http.getResponse<FastifyReply>())) throw new CsrfRefused();
    return true;
  }
}

/** The hashed names of the built CSS and JavaScript (dist/apps/web/manifest.json). */
export function assetManifest(): Record<string, string> {
  return JSON.parse(readFileSync(join(WEB_DIST, 'manifest.json'), 'utf8')) as Record<string, string>;
}

/** What every page is rendered with: its user, the CSRF token for its forms, the assets, the menu. */
@Injectable()
export class Pages {
  private readonly assets = assetManifest();

  constructor(private readonly csrf: CsrfTokens) {}

  /**
   * Renders a page. No page is cached (`no-store`): a signed-in page may hold patient data, and a signed-out
   * one a form bound to a session.
   */
  render(
    request: WebRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown> = {},
    status = 200,
  ): FastifyReply {
    const user = request.principal;
    const role = user?.roles[0];
    return reply
      .status(status)
      .header('cache-control', 'no-store')
      .view(template, {
        ...data,
        // The first error of each field, for its inline message (the summary lists them all).
        fieldErrors: Object.fromEntries(
          ((data.errors as FormError[] | undefined) ?? []).toReversed().map((e) => [e.field, e.text]),
        ),
        assets: this.assets,
        csrfToken: this.csrf.tokenFor(request, reply),
        path: request.url.split('?')[0],
        user: user
          ? {
              displayName: user.displayName,
              role,
              roleLabel: role ? ROLE_LABELS[role] : '',
              siteLabel: user.sites.map((s) => s.name).join(', '),
            }
          : null,
        menu: user ? menuOf(role!, request.url) : [],
      });
  }
}

/** Each role's own menu (issue 26: a role sees only its own). */
function menuOf(role: Role, url: string): { text: string; href: string; current: boolean }[] {
  const items: { text: string; href: string }[] = [];
  if (role === 'research_nurse' || role === 'site_investigator' || role === 'data_manager') {
    items.push({ text: 'Worklist', href: '/' }, { text: 'Patients', href: '/patients' });
  }
  if (role === 'research_nurse' || role === 'site_investigator') {
    items.push({ text: 'Find a patient', href: '/patients/find' }, { text: 'Enrol', href: '/enrol' });
  }
  const path = url.split('?')[0];
  return items.map((item) => ({
    ...item,
    current:
      item.href === '/'
        ? path === '/' || path.endsWith('/worklist')
        : item.href === '/patients'
          ? path.startsWith('/patients') && !path.startsWith('/patients/find')
          : path.startsWith(item.href),
  }));
}

/** Status pages' words, by status. */
const ERROR_PAGES: Record<number, { title: string; text: string }> = {
  400: { title: 'Sorry, that request could not be read', text: 'Go back and try again.' },
  403: {
    title: 'You do not have access to this page',
    text: 'Your role does not allow it. If you think it should, ask a registry administrator.',
  },
  404: {
    title: 'Page not found',
    text: 'If you typed the web address, check it is correct. If you pasted the web address, check you copied the entire address.',
  },
  429: { title: 'Too many attempts', text: 'Wait a minute, then try again.' },
  503: {
    title: 'Sorry, the service is unavailable',
    text: 'Nothing you sent was saved unless the page said so. Try again in a few minutes.',
  },
  500: {
    title: 'Sorry, there is a problem with the service',
    text: 'Try again later. If it keeps happening, tell the registry team the time it happened.',
  },
};

/**
 * Errors as pages: a session that is missing or over goes to sign-in (or "your session has expired"), a
 * refused CSRF token and a wrong role get the 403 page, another site's record the 404 page (as a record that
 * does not exist), a dependency down the 503 page, and anything unforeseen the 500 page, logged (the api's
 * classification, see problemOf).
 */
@Catch()
export class ErrorPages implements ExceptionFilter {
  private readonly logger = new Logger('ErrorPages');

  constructor(
    private readonly pages: Pages,
    private readonly config: AppConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<WebRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof NoWebSession) {
      setSessionCookie(reply, this.config, null);
      void reply
        .header('cache-control', 'no-store')
        .redirect(exception.why === 'expired' ? '/session-expired' : '/sign-in', 303);
      return;
    }
    const problem = problemOf(exception, request);
    let status = problem.status;
    if (status === 401) {
      void reply.header('cache-control', 'no-store').redirect('/sign-in', 303);
      return;
    }
    if (!ERROR_PAGES[status]) status = status >= 500 ? 500 : 400;
    if (status === 503) void reply.header('retry-after', '5');
    const page = ERROR_PAGES[status];
    const text =
      exception instanceof CsrfRefused
        ? 'This form was out of date. Go back, reload the page and send it again.'
        : page.text;
    try {
      void this.pages.render(request, reply, 'error.njk', { title: page.title, text, status }, status);
    } catch (error) {
      this.logger.error({ err: error }, 'the error page could not be rendered');
      void reply.status(status).type('text/plain; charset=utf-8').send(page.title);
    }
  }
}

/** True for an HttpException of this status. */
export function isStatus(error: unknown, status: number): boolean {
  return error instanceof HttpException && error.getStatus() === status;
}
