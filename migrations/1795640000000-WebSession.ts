import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 26: the web application's sessions, in PostgreSQL. A session begins at the password step (stage
 * `code` or `enrol`, holding the sealed second-step token) and is signed in once the second factor is
 * accepted, tied from then on to the sign-in row (the refresh-token family) the api's tokens use, so
 * revoking that sign-in, disabling or locking the user ends the session too. The browser holds a random
 * token; only its digest is stored, and it changes at each step. Rows are ended, never deleted.
 *
 * No audit trigger: a session's start and end are audit events of the sign-in itself (login.succeeded,
 * token.revoked), and its last-seen time moves with every page, which is not a change to registry data.
 */
export class WebSession1795640000000 implements MigrationInterface {
  name = 'WebSession1795640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE web_session (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash   bytea       NOT NULL UNIQUE,
        user_id      uuid        NOT NULL REFERENCES app_user (id),
        stage        text        NOT NULL CHECK (stage IN ('code', 'enrol', 'signed_in')),
        step_token   text,
        sign_in_id   uuid,
        sealed_once  text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        signed_in_at timestamptz,
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        ended_at     timestamptz,
        ended_reason text,
        CHECK ((stage = 'signed_in') = (sign_in_id IS NOT NULL AND signed_in_at IS NOT NULL)),
        CHECK ((stage = 'signed_in') = (step_token IS NULL)),
        CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX web_session_sign_in_idx ON web_session (sign_in_id)`);
    await q.query(`CREATE INDEX web_session_live_user_idx ON web_session (user_id) WHERE ended_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE web_session`);
  }
}
