import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import type { Principal } from '../principal.js';
import { AuthService } from './auth.service.js';
import { auditContextOf, type AuthenticatedRequest } from './request-context.js';
import { digest } from '../../../crypto/src/index.js';
import { InvalidToken } from './token-signer.js';
import { findLiveApiKey, findSessionUser, recordApiKeyUse } from './auth.queries.js';

/** API keys carry this prefix, so the guard tells them from JWTs and secret scanners can find leaked ones. */
export const API_KEY_PREFIX = 'ecmo_ak_';

/**
 * Turns an `Authorization: Bearer …` header into a principal, or 401. The user is re-read on every request,
 * so a disabled or locked user, a changed role or sites, and a revoked session take effect at once, not when
 * the access token expires.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly transactions: TransactionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async authenticate(request: AuthenticatedRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (!match)
      throw new UnauthorizedException('Authentication required: send Authorization: Bearer <token>');
    const credential = match[1];
    return credential.startsWith(API_KEY_PREFIX)
      ? this.apiKey(credential, request)
      : this.fromAccessToken(credential);
  }

  /**
   * A user's access token, from a header or a cookie: the principal while the token is valid, its session
   * live and the account active; 401 otherwise.
   */
  async fromAccessToken(token: string): Promise<Principal> {
    let subject: string;
    let sessionId: unknown;
    let expiresAt: Date;
    try {
      const verified = await this.auth.tokens.verify('access', token);
      subject = verified.subject;
      sessionId = verified.claims.sid;
      expiresAt = verified.expiresAt;
    } catch (error) {
      if (error instanceof InvalidToken) throw new UnauthorizedException('Invalid or expired access token');
      throw error;
    }
    if (typeof sessionId !== 'string' || !isUuid(subject) || !isUuid(sessionId)) {
      throw new UnauthorizedException('Invalid access token');
    }
    // Every request: a prepared statement (see findSessionUser).
    const user = await findSessionUser(this.dataSource.manager, subject, sessionId);
    if (!user?.active) throw new UnauthorizedException('Session ended, or account disabled or locked');
    return {
      kind: 'user',
      id: subject,
      roles: [user.role],
      siteIds: user.site_ids,
      actor: `user:${subject}`,
      sessionId,
      expiresAt,
    };
  }

  /** A service account's key: looked up by its digest; every use is recorded with the route it called. */
  private async apiKey(key: string, request: AuthenticatedRequest): Promise<Principal> {
    const row = await findLiveApiKey(this.dataSource.manager, digest(key));
    if (!row) throw new UnauthorizedException('Unknown or revoked API key');
    const principal: Principal = {
      kind: 'api_key',
      id: row.id,
      roles: row.roles,
      siteIds: [],
      actor: `api_key:${row.id}`,
    };
    const context = auditContextOf(request, principal);
    await this.transactions.run(context, async (em) => {
      await recordApiKeyUse(em, row.id);
      await this.audit.record(em, context, {
        action: 'api_key.used',
        entityType: 'api_key',
        entityId: row.id,
        details: { method: request.method, route: request.routeOptions.url },
      });
    });
    return principal;
  }
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
