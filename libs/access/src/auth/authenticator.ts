import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { queryPrepared, TransactionService } from '../../../database/src/index.js';
import type { Principal } from '../principal.js';
import type { Role } from '../roles.js';
import { AuthService } from './auth.service.js';
import { auditContextOf, type AuthenticatedRequest } from './request-context.js';
import { digest } from '../../../crypto/src/index.js';
import { InvalidToken } from './token-signer.js';

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
    // Every request: a prepared statement (see queryPrepared).
    const rows = await queryPrepared<{ role: Role; site_ids: string[]; active: boolean }>(
      this.dataSource.manager,
      `SELECT u.role, array(SELECT s.site_id::text FROM user_site s WHERE s.user_id = u.id ORDER BY 1) AS site_ids,
              u.disabled_at IS NULL AND u.locked_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_token t
                           WHERE t.family_id = $2 AND t.user_id = u.id AND t.revoked_at IS NULL) AS active
         FROM app_user u WHERE u.id = $1`,
      [subject, sessionId],
    );
    const user = rows[0];
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
    const rows: { id: string; roles: Role[] }[] = await this.dataSource.query(
      `SELECT id, roles FROM api_key WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [digest(key)],
    );
    const row = rows[0];
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
      await em.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id]);
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
