import { Body, Controller, Get, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import QRCode from 'qrcode';
import {
  AnyRole,
  auditContextOf,
  AuthService,
  LoginThrottle,
  NoWebSession,
  WEB_SESSION_COOKIE,
  WebSessions,
} from '../../../libs/access/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import { Public, ValidationProblem } from '../../../libs/observability/src/index.js';
import { Pages, setSessionCookie, type FormError, type WebRequest } from './pages.js';

type Form = Record<string, unknown>;

/** A posted field as text ('' when absent or not text). */
function field(form: Form | undefined, name: string): string {
  const value = form?.[name];
  return typeof value === 'string' ? value : '';
}

/** Where a sign-in that has passed its password goes next. */
const STEP_PAGES = { code: '/sign-in/code', enrol: '/sign-in/set-up-authenticator' } as const;

/**
 * Sign-in as the api does it, in pages: e-mail and password, then a code from the authenticator app or a
 * recovery code; at the first sign-in, the authenticator set up from a QR code (drawn on the server, as SVG)
 * and the recovery codes shown once. Every step posts a form and is redirected (works without JavaScript),
 * and each gives the browser a new session token. The rate limits, lockout and audit are AuthService's.
 */
@Controller()
export class SignInController {
  constructor(
    private readonly pages: Pages,
    private readonly sessions: WebSessions,
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  @Get('sign-in')
  @Public()
  signInPage(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'sign-in.njk', { title: 'Sign in', values: {} });
  }

  @Post('sign-in')
  @Public()
  @LoginThrottle()
  async signIn(@Req() request: WebRequest, @Res() reply: FastifyReply, @Body() form: Form) {
    const values = { email: field(form, 'email') };
    const password = field(form, 'password');
    const errors: FormError[] = [];
    if (values.email.trim() === '') errors.push({ field: 'email', text: 'Enter your email address' });
    if (password === '') errors.push({ field: 'password', text: 'Enter your password' });
    if (errors.length > 0) {
      return this.pages.render(request, reply, 'sign-in.njk', { title: 'Sign in', values, errors }, 400);
    }
    try {
      const token = await this.sessions.begin(values.email, password, auditContextOf(request));
      setSessionCookie(reply, this.config, token);
      const { stage } = await this.sessions.pending(token);
      return reply.redirect(STEP_PAGES[stage], 303);
    } catch (error) {
      if (!(error instanceof UnauthorizedException)) throw error;
      const text = 'Enter a correct email address and password';
      return this.pages.render(
        request,
        reply,
        'sign-in.njk',
        { title: 'Sign in', values, errors: [{ field: 'email', text }] },
        401,
      );
    }
  }

  @Get('sign-in/code')
  @Public()
  async codePage(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    const pending = await this.sessions.pending(request.cookies[WEB_SESSION_COOKIE]);
    if (pending.stage !== 'code') return reply.redirect(STEP_PAGES[pending.stage], 303);
    return this.pages.render(request, reply, 'sign-in-code.njk', { title: 'Enter your security code' });
  }

  @Post('sign-in/code')
  @Public()
  @LoginThrottle()
  async code(@Req() request: WebRequest, @Res() reply: FastifyReply, @Body() form: Form) {
    const code = field(form, 'code').trim();
    const render = (text: string, status: number) =>
      this.pages.render(
        request,
        reply,
        'sign-in-code.njk',
        { title: 'Enter your security code', errors: [{ field: 'code', text }] },
        status,
      );
    if (code === '') return render('Enter the code from your authenticator app, or a recovery code', 400);
    try {
      const token = await this.sessions.verifyCode(
        request.cookies[WEB_SESSION_COOKIE],
        code,
        auditContextOf(request),
      );
      setSessionCookie(reply, this.config, token);
      return reply.redirect('/', 303);
    } catch (error) {
      if (error instanceof NoWebSession || !(error instanceof UnauthorizedException)) throw error;
      if (/start again/.test(error.message)) throw new NoWebSession('ended');
      return render(
        'Enter a correct code: the current one from your authenticator app, or an unused recovery code',
        401,
      );
    }
  }

  @Get('sign-in/set-up-authenticator')
  @Public()
  async enrolPage(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.renderEnrolment(request, reply, [], 200);
  }

  @Post('sign-in/set-up-authenticator')
  @Public()
  @LoginThrottle()
  async enrol(@Req() request: WebRequest, @Res() reply: FastifyReply, @Body() form: Form) {
    const code = field(form, 'code').trim();
    if (code === '') {
      return this.renderEnrolment(
        request,
        reply,
        [{ field: 'code', text: 'Enter the code your authenticator app shows' }],
        400,
      );
    }
    try {
      const token = await this.sessions.enrol(
        request.cookies[WEB_SESSION_COOKIE],
        code,
        auditContextOf(request),
      );
      setSessionCookie(reply, this.config, token);
      return reply.redirect('/sign-in/recovery-codes', 303);
    } catch (error) {
      if (error instanceof NoWebSession || !(error instanceof UnauthorizedException)) throw error;
      if (/start again/.test(error.message)) throw new NoWebSession('ended');
      return this.renderEnrolment(
        request,
        reply,
        [{ field: 'code', text: 'Enter the 6-digit code your authenticator app shows now' }],
        401,
      );
    }
  }

  /** The recovery codes of a first sign-in, shown once; afterwards this page goes to the home page. */
  @Get('sign-in/recovery-codes')
  @AnyRole()
  async recoveryCodes(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    const codes = await this.sessions.takeRecoveryCodes(request.principal!, auditContextOf(request));
    if (!codes) return reply.redirect('/', 303);
    return this.pages.render(request, reply, 'recovery-codes.njk', {
      title: 'Save your recovery codes',
      codes,
    });
  }

  @Post('sign-out')
  @Public()
  async signOut(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    await this.sessions.signOut(request.cookies[WEB_SESSION_COOKIE], auditContextOf(request));
    setSessionCookie(reply, this.config, null);
    return reply.header('cache-control', 'no-store').redirect('/signed-out', 303);
  }

  @Get('signed-out')
  @Public()
  signedOut(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'notice.njk', {
      title: 'You have signed out',
      text: 'Close the browser if you are using a shared computer.',
    });
  }

  @Get('session-expired')
  @Public()
  expired(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'notice.njk', {
      title: 'Your session has expired',
      text: 'You were signed out because you had not used the registry for a while, or had been signed in for the longest a session may last. Anything you had not saved was not saved.',
    });
  }

  @Get('reset-password')
  @Public()
  resetPage(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'reset-password.njk', {
      title: 'Set your password',
      values: {},
    });
  }

  /** A password set with an administrator's one-time token (typed or pasted: never in a web address). */
  @Post('reset-password')
  @Public()
  @LoginThrottle()
  async reset(@Req() request: WebRequest, @Res() reply: FastifyReply, @Body() form: Form) {
    const token = field(form, 'token').trim();
    const password = field(form, 'password');
    const confirm = field(form, 'confirm');
    const errors: FormError[] = [];
    if (token === '')
      errors.push({ field: 'token', text: 'Enter the one-time code your administrator gave you' });
    if (password === '') errors.push({ field: 'password', text: 'Enter a new password' });
    else if (confirm !== password) errors.push({ field: 'confirm', text: 'Enter the same password twice' });
    if (errors.length === 0) {
      try {
        await this.auth.resetPassword(token, password, auditContextOf(request));
        return reply.redirect('/password-set', 303);
      } catch (error) {
        if (!(error instanceof ValidationProblem)) throw error;
        for (const e of error.fieldErrors) {
          const name = e.field === 'newPassword' ? 'password' : 'token';
          errors.push({
            field: name,
            text:
              name === 'token'
                ? 'This one-time code is wrong, used or expired: ask your administrator for a new one'
                : `The password ${e.reason}`,
          });
        }
      }
    }
    return this.pages.render(
      request,
      reply,
      'reset-password.njk',
      { title: 'Set your password', values: { token }, errors },
      400,
    );
  }

  @Get('password-set')
  @Public()
  passwordSet(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'notice.njk', {
      title: 'Your password has been set',
      text: 'Sign in with your email address and your new password.',
    });
  }

  private async renderEnrolment(
    request: WebRequest,
    reply: FastifyReply,
    errors: FormError[],
    status: number,
  ) {
    const pending = await this.sessions.pending(request.cookies[WEB_SESSION_COOKIE]);
    if (pending.stage !== 'enrol' || !pending.enrolment)
      return reply.redirect(STEP_PAGES[pending.stage], 303);
    const qr = await QRCode.toString(pending.enrolment.otpauthUri, {
      type: 'svg',
      margin: 4,
      errorCorrectionLevel: 'M',
    });
    return this.pages.render(
      request,
      reply,
      'set-up-authenticator.njk',
      {
        title: 'Set up your authenticator app',
        qr,
        secret: pending.enrolment.secret.replace(/(.{4})/g, '$1 ').trim(),
        errors,
      },
      status,
    );
  }
}
