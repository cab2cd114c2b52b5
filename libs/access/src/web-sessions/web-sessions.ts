import { randomUUID } from 'node:crypto';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { decrypt, deriveKey, digest, encrypt, randomToken } from '../../../crypto/src/index.js';
import { type AuditContext, TransactionService } from '../../../database/src/index.js';
import { AuthService, MFA_STEP_TTL_SECONDS, type TokenPair } from '../auth/auth.service.js';
import type { AuthenticatedRequest } from '../auth/request-context.js';
import type { SiteSummary } from '../directory.js';
import type { Principal } from '../principal.js';
import {
  endWebSession,
  findWebSession,
  insertWebSession,
  signInWebSession,
  takeSealedOnce,
  touchWebSession,
  type WebSessionRow,
  type WebSessionStage,
} from './web-sessions.queries.js';

/** The cookie that holds a web session's token. */
export const WEB_SESSION_COOKIE = 'ecmo_session';

/** A signed-in user of the web application, as its pages and the access guard see them. */
export interface WebPrincipal extends Principal {
  readonly kind: 'user';
  readonly sessionId: string;
  readonly email: string;
  readonly displayName: string;
  readonly sites: readonly SiteSummary[];
  /** The web session's own row (not the sign-in's id, which is `sessionId`). */
  readonly webSessionId: string;
}

/** A session cannot be used: none was sent, or it ended (`expired` says a signed-in session timed out). */
export class NoWebSession extends UnauthorizedException {
  constructor(readonly why: 'none' | 'expired' | 'ended') {
    super(why === 'expired' ? 'Your session has expired' : 'Sign in to continue');
  }
}

/** A sign-in between its password and its second factor. */
export interface PendingSignIn {
  readonly stage: Exclude<WebSessionStage, 'signed_in'>;
  readonly email: string;
  /** While enrolling: the authenticator's secret, to type or to scan. */
  readonly enrolment?: { readonly secret: string; readonly otpauthUri: string };
}

/**
 * The web application's sessions (issue 26), in PostgreSQL. Each sign-in step goes through AuthService,
 * exactly as the api's (the same lockout, the same audit events), and the session it ends in is tied to the
 * sign-in row (refresh-token family) that AuthService writes: idle for REFRESH_TOKEN_TTL_SECONDS, or
 * SESSION_MAX_SECONDS after its sign-in, or with its sign-in revoked (sign-out anywhere, a password reset, an
 * administrator) or its user disabled or locked, the session is over. The browser's token changes at each
 * step (a new session id), and only its digest is stored.
 */
@Injectable()
export class WebSessions {
  private readonly sealKey: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly transactions: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    if (!config.WEB_SESSION_SECRET) {
      throw new Error('WEB_SESSION_SECRET must be set (run `npm run db:setup` on a development machine)');
    }
    this.sealKey = deriveKey(config.WEB_SESSION_SECRET, 'ecmo-registry web session');
  }

  /** The password step: a new session at the code (or enrolment) stage; its token for the cookie. */
  async begin(email: string, password: string, context: AuditContext): Promise<string> {
    const step = await this.auth.passwordStep(email, password, context);
    const token = randomToken();
    const id = randomUUID();
    const enrolment =
      step.status === 'mfa_enrolment_required'
        ? this.seal(JSON.stringify({ secret: step.totpSecret, otpauthUri: step.otpauthUri }), id)
        : null;
    const userId = (await this.auth.tokens.verify('mfa', step.mfaToken)).subject;
    await this.transactions.run(context, (em) =>
      insertWebSession(em, {
        id,
        tokenHash: digest(token),
        userId,
        stage: step.status === 'mfa_required' ? 'code' : 'enrol',
        stepToken: this.seal(step.mfaToken, id),
        sealedOnce: enrolment,
      }),
    );
    return token;
  }

  /** The sign-in in progress under this token, or NoWebSession (none, ended, or its step timed out). */
  async pending(token: string | undefined): Promise<PendingSignIn> {
    const row = await this.row(token);
    if (row.stage === 'signed_in' || row.created_at.getTime() + MFA_STEP_TTL_SECONDS * 1000 <= Date.now()) {
      throw new NoWebSession('ended');
    }
    const enrolment =
      row.stage === 'enrol' && row.sealed_once
        ? (JSON.parse(this.unseal(row.sealed_once, row.id)) as PendingSignIn['enrolment'])
        : undefined;
    return { stage: row.stage, email: row.email, ...(enrolment ? { enrolment } : {}) };
  }

  /** The second step: a TOTP or recovery code. Answers the signed-in session's new token. */
  async verifyCode(token: string | undefined, code: string, context: AuditContext): Promise<string> {
    const row = await this.stepRow(token, 'code');
    const pair = await this.auth.verifySecondFactor(this.unseal(row.step_token!, row.id), code, context);
    return this.signIn(row, pair, null, context);
  }

  /** First sign-in: the authenticator confirmed; the recovery codes are kept, sealed, to be shown once. */
  async enrol(token: string | undefined, code: string, context: AuditContext): Promise<string> {
    const row = await this.stepRow(token, 'enrol');
    const result = await this.auth.enrolSecondFactor(this.unseal(row.step_token!, row.id), code, context);
    return this.signIn(row, result, this.seal(JSON.stringify(result.recoveryCodes), row.id), context);
  }

  /** The recovery codes of a sign-in that just enrolled, once: null when already shown (or none). */
  async takeRecoveryCodes(principal: WebPrincipal, context: AuditContext): Promise<string[] | null> {
    const sealed = await this.transactions.run(context, (em) => takeSealedOnce(em, principal.webSessionId));
    return sealed ? (JSON.parse(this.unseal(sealed, principal.webSessionId)) as string[]) : null;
  }

  /**
   * The signed-in user of this token, or NoWebSession. A live session's idle timeout starts again (the
   * last-seen time is written at most once a minute).
   */
  async authenticate(request: AuthenticatedRequest & { cookies?: Record<string, string | undefined> }) {
    return this.principal(request.cookies?.[WEB_SESSION_COOKIE]);
  }

  async principal(token: string | undefined): Promise<WebPrincipal> {
    const row = await this.row(token);
    if (row.stage !== 'signed_in') throw new NoWebSession('none');
    const now = Date.now();
    const idle = row.last_seen_at.getTime() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000 <= now;
    const tooLong = row.signed_in_at!.getTime() + this.config.SESSION_MAX_SECONDS * 1000 <= now;
    if (idle || tooLong || !row.sign_in_live || !row.account_active) {
      const reason = idle
        ? 'idle'
        : tooLong
          ? 'max_length'
          : !row.sign_in_live
            ? 'revoked'
            : 'account_inactive';
      await this.dataSource.transaction((em) => endWebSession(em, row.id, reason));
      throw new NoWebSession('expired');
    }
    if (row.last_seen_at.getTime() < now - 60_000) await touchWebSession(this.dataSource.manager, row.id);
    return {
      kind: 'user',
      id: row.user_id,
      roles: [row.role],
      siteIds: row.sites.map((s) => s.id),
      actor: `user:${row.user_id}`,
      sessionId: row.sign_in_id!,
      expiresAt: new Date(
        Math.min(
          row.signed_in_at!.getTime() + this.config.SESSION_MAX_SECONDS * 1000,
          now + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000,
        ),
      ),
      email: row.email,
      displayName: row.display_name,
      sites: row.sites,
      webSessionId: row.id,
    };
  }

  /** Sign-out: the sign-in ends (audited, as the api's sign-out), and so does this session. */
  async signOut(token: string | undefined, context: AuditContext): Promise<void> {
    const row = token ? await findWebSession(this.dataSource.manager, digest(token)) : undefined;
    if (!row || row.ended_at !== null) return;
    const asUser = { ...context, actor: `user:${row.user_id}` };
    await this.transactions.run(asUser, async (em) => {
      if (row.sign_in_id) await this.auth.endSession(em, asUser, row.user_id, row.sign_in_id);
      await endWebSession(em, row.id, 'signed_out');
    });
  }

  private async signIn(
    row: WebSessionRow,
    pair: TokenPair,
    sealedOnce: string | null,
    context: AuditContext,
  ): Promise<string> {
    // The sign-in row AuthService wrote for this sign-in, and when it began, are in its refresh token.
    const refresh = await this.auth.tokens.verify('refresh', pair.refreshToken);
    const token = randomToken();
    const moved = await this.transactions.run({ ...context, actor: `user:${row.user_id}` }, (em) =>
      signInWebSession(em, row.id, row.stage, {
        tokenHash: digest(token),
        signInId: String(refresh.claims.sid),
        signedInAt: new Date(Number(refresh.claims.auth_time) * 1000),
        sealedOnce,
      }),
    );
    if (!moved) throw new NoWebSession('ended');
    return token;
  }

  private async stepRow(token: string | undefined, stage: 'code' | 'enrol'): Promise<WebSessionRow> {
    const row = await this.row(token);
    if (row.stage !== stage || row.step_token === null) throw new NoWebSession('ended');
    return row;
  }

  private async row(token: string | undefined): Promise<WebSessionRow> {
    if (!token || token.length > 100) throw new NoWebSession('none');
    const row = await findWebSession(this.dataSource.manager, digest(token));
    if (!row) throw new NoWebSession('none');
    if (row.ended_at !== null) {
      // Signed out: the browser starts again at sign-in. Timed out or revoked: it is told so.
      const expired = row.stage === 'signed_in' && row.ended_reason !== 'signed_out';
      throw new NoWebSession(expired ? 'expired' : 'ended');
    }
    return row;
  }

  private seal(value: string, owner: string): string {
    return encrypt(this.sealKey, value, owner);
  }

  private unseal(value: string, owner: string): string {
    return decrypt(this.sealKey, value, owner);
  }
}
