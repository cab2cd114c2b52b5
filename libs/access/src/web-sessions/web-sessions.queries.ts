import type { EntityManager } from 'typeorm';
import { queryPrepared } from '../../../database/src/index.js';
import type { SiteSummary } from '../directory.js';
import type { Role } from '../roles.js';

/** The web application's session rows (table `web_session`): every statement that reads or writes them. */

export type WebSessionStage = 'code' | 'enrol' | 'signed_in';

/** A session row with what a page needs of its user, read by the digest of the browser's token. */
export interface WebSessionRow {
  readonly id: string;
  readonly user_id: string;
  readonly stage: WebSessionStage;
  readonly step_token: string | null;
  readonly sign_in_id: string | null;
  readonly sealed_once: string | null;
  readonly created_at: Date;
  readonly signed_in_at: Date | null;
  readonly last_seen_at: Date;
  readonly ended_at: Date | null;
  readonly ended_reason: string | null;
  readonly email: string;
  readonly display_name: string;
  readonly role: Role;
  /** Neither disabled nor locked. */
  readonly account_active: boolean;
  /** The sign-in row (refresh-token family) has a token not revoked. */
  readonly sign_in_live: boolean;
  readonly sites: SiteSummary[];
}

/** One statement per page view (prepared): the session, its user, the user's sites, the sign-in's state. */
export async function findWebSession(
  em: EntityManager,
  tokenHash: Buffer,
): Promise<WebSessionRow | undefined> {
  const rows = await queryPrepared<WebSessionRow>(
    em,
    `SELECT s.id, s.user_id, s.stage, s.step_token, s.sign_in_id, s.sealed_once, s.created_at, s.signed_in_at,
            s.last_seen_at, s.ended_at, s.ended_reason, u.email, u.display_name, u.role,
            u.disabled_at IS NULL AND u.locked_at IS NULL AS account_active,
            s.sign_in_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM refresh_token t
               WHERE t.family_id = s.sign_in_id AND t.user_id = s.user_id AND t.revoked_at IS NULL) AS sign_in_live,
            coalesce((SELECT json_agg(json_build_object('id', x.id, 'code', x.code, 'name', x.name) ORDER BY x.name)
                        FROM user_site us JOIN site x ON x.id = us.site_id WHERE us.user_id = u.id), '[]') AS sites
       FROM web_session s JOIN app_user u ON u.id = s.user_id
      WHERE s.token_hash = $1`,
    [tokenHash],
  );
  return rows[0];
}

export async function insertWebSession(
  em: EntityManager,
  row: {
    id: string;
    tokenHash: Buffer;
    userId: string;
    stage: WebSessionStage;
    stepToken: string;
    sealedOnce: string | null;
  },
): Promise<void> {
  await em.query(
    `INSERT INTO web_session (id, token_hash, user_id, stage, step_token, sealed_once) VALUES ($1, $2, $3, $4, $5, $6)`,
    [row.id, row.tokenHash, row.userId, row.stage, row.stepToken, row.sealedOnce],
  );
}

/**
 * The second step done: the session is signed in to `signInId` under a new token, the step's secrets gone
 * (`sealedOnce` holds what is shown once next, or null). False if the session ended or moved on meanwhile.
 */
export async function signInWebSession(
  em: EntityManager,
  id: string,
  from: WebSessionStage,
  next: { tokenHash: Buffer; signInId: string; signedInAt: Date; sealedOnce: string | null },
): Promise<boolean> {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  const [, count]: [unknown[], number] = await em.query(
    `UPDATE web_session
        SET token_hash = $3, stage = 'signed_in', step_token = NULL, sign_in_id = $4, signed_in_at = $5,
            sealed_once = $6, last_seen_at = now()
      WHERE id = $1 AND stage = $2 AND ended_at IS NULL
      RETURNING id`,
    [id, from, next.tokenHash, next.signInId, next.signedInAt, next.sealedOnce],
  );
  return count === 1;
}

/** Takes what the session held to show once (the recovery codes), leaving nothing: null if taken already. */
export async function takeSealedOnce(em: EntityManager, id: string): Promise<string | null> {
  const [rows]: [{ sealed: string | null }[], number] = await em.query(
    `UPDATE web_session s SET sealed_once = NULL
       FROM (SELECT id, sealed_once AS sealed FROM web_session WHERE id = $1 FOR UPDATE) old
      WHERE s.id = old.id AND s.ended_at IS NULL
      RETURNING old.sealed`,
    [id],
  );
  return rows[0]?.sealed ?? null;
}

/** A page was seen: the idle timeout starts again (written at most once a minute per session). */
export async function touchWebSession(em: EntityManager, id: string): Promise<void> {
  await queryPrepared(
    em,
    `UPDATE web_session SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`,
    [id],
  );
}

/** Ends the session (sign-out, expiry, a newer step); ended sessions are kept, never deleted. */
export async function endWebSession(em: EntityManager, id: string, reason: string): Promise<void> {
  await em.query(
    `UPDATE web_session SET ended_at = now(), ended_reason = $2 WHERE id = $1 AND ended_at IS NULL`,
    [id, reason],
  );
}
