import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may do what (issue 3): sites, users with one role each and, for site roles, their sites; the credentials
 * and tokens that let them in; API keys for service accounts.
 *
 * - audit_row_change() now takes the names of secret columns as trigger arguments and writes "[redacted]" in
 *   their place, so a password hash, a TOTP secret or a key hash never reaches the audit trail while the fact
 *   that the row changed does.
 * - Tokens and recovery codes are stored as SHA-256 digests of high-entropy random values (a leaked table does
 *   not let anyone in); passwords as argon2id hashes; TOTP secrets AES-256-GCM encrypted.
 * - Nothing here is deletable by the application except a user's site assignments (the audit trail keeps the
 *   old row): users are disabled, tokens revoked, keys revoked.
 */
export class Access1795470000000 implements MigrationInterface {
  name = 'Access1795470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql
      -- A fixed search path: a caller's own (e.g. temporary) audit_event must never capture the trail.
      SET search_path = pg_catalog, public AS $$
      DECLARE
        v_actor   text := nullif(current_setting('registry.actor', true), '');
        v_address text := nullif(current_setting('registry.client_address', true), '');
        v_old     jsonb;
        v_new     jsonb;
        v_secret  text;
      BEGIN
        IF v_actor IS NULL THEN
          RAISE EXCEPTION 'audit: no actor set for a change to %', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'write through TransactionService.run(), which sets registry.actor';
        END IF;
        IF TG_OP <> 'INSERT' THEN v_old := to_jsonb(OLD); END IF;
        IF TG_OP <> 'DELETE' THEN v_new := to_jsonb(NEW); END IF;
        -- Trigger arguments name secret columns: recorded as changed or not, never with their value.
        FOREACH v_secret IN ARRAY coalesce(TG_ARGV, ARRAY[]::text[]) LOOP
          IF v_old ? v_secret AND v_old ->> v_secret IS NOT NULL THEN
            v_old := jsonb_set(v_old, ARRAY[v_secret], '"[redacted]"');
          END IF;
          IF v_new ? v_secret AND v_new ->> v_secret IS NOT NULL THEN
            v_new := jsonb_set(v_new, ARRAY[v_secret],
              CASE WHEN TG_OP = 'UPDATE' AND (to_jsonb(OLD) -> v_secret) IS DISTINCT FROM (to_jsonb(NEW) -> v_secret)
                   THEN '"[redacted, changed]"' ELSE '"[redacted]"' END::jsonb);
          END IF;
        END LOOP;
        INSERT INTO public.audit_event (actor, action, entity_type, entity_id, old_values, new_values,
                                 reason, request_id, client_address)
        VALUES (v_actor, lower(TG_OP), TG_TABLE_NAME, coalesce(v_new ->> 'id', v_old ->> 'id'), v_old, v_new,
                nullif(current_setting('registry.reason', true), ''),
                nullif(current_setting('registry.request_id', true), ''),
                v_address::inet);
        RETURN NULL;
      END $$`);

    await q.query(`
      CREATE TABLE site (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        code       text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9]{1,9}$'),
        name       text        NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE app_user (
        id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        email               text        NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
        display_name        text        NOT NULL CHECK (btrim(display_name) <> ''),
        role                text        NOT NULL CHECK (role IN
                              ('research_nurse', 'site_investigator', 'data_manager', 'auditor', 'admin')),
        password_hash       text,
        password_changed_at timestamptz,
        totp_secret         text,
        totp_pending_secret text,
        totp_enrolled_at    timestamptz,
        totp_last_step      bigint,
        failed_login_count  integer     NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
        locked_at           timestamptz,
        disabled_at         timestamptz,
        last_login_at       timestamptz,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK ((totp_secret IS NULL) = (totp_enrolled_at IS NULL))
      )`);

    await q.query(`
      CREATE TABLE user_site (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id    uuid        NOT NULL REFERENCES app_user (id),
        site_id    uuid        NOT NULL REFERENCES site (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, site_id)
      )`);
    await q.query(`CREATE INDEX user_site_site_idx ON user_site (site_id)`);
    // Re-assigning a user's sites removes rows; the audit trigger keeps each removed row.
    await q.query(`GRANT DELETE ON user_site TO registry_app`);

    await q.query(`
      CREATE TABLE refresh_token (
        id             uuid        PRIMARY KEY,
        family_id      uuid        NOT NULL,
        user_id        uuid        NOT NULL REFERENCES app_user (id),
        issued_at      timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        used_at        timestamptz,
        revoked_at     timestamptz,
        revoked_reason text,
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX refresh_token_family_idx ON refresh_token (family_id)`);
    await q.query(
      `CREATE INDEX refresh_token_live_user_idx ON refresh_token (user_id) WHERE revoked_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE password_reset_token (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id    uuid        NOT NULL REFERENCES app_user (id),
        token_hash bytea       NOT NULL UNIQUE,
        issued_by  text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at    timestamptz
      )`);
    await q.query(`CREATE INDEX password_reset_token_user_idx ON password_reset_token (user_id)`);

    await q.query(`
      CREATE TABLE mfa_recovery_code (
        id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id       uuid        NOT NULL REFERENCES app_user (id),
        code_hash     bytea       NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        used_at       timestamptz,
        superseded_at timestamptz
      )`);
    await q.query(`CREATE INDEX mfa_recovery_code_user_idx ON mfa_recovery_code (user_id)`);

    await q.query(`
      CREATE TABLE api_key (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        name         text        NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
        secret_hash  bytea       NOT NULL UNIQUE,
        roles        text[]      NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['auditor', 'data_manager']),
        created_by   uuid        NOT NULL REFERENCES app_user (id),
        created_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at   timestamptz,
        revoked_by   uuid        REFERENCES app_user (id),
        last_used_at timestamptz
      )`);

    for (const [table, secrets] of [
      ['site', []],
      ['app_user', ['password_hash', 'totp_secret', 'totp_pending_secret']],
      ['user_site', []],
      ['refresh_token', []],
      ['password_reset_token', ['token_hash']],
      ['mfa_recovery_code', ['code_hash']],
      ['api_key', ['secret_hash']],
    ] as const) {
      const args = secrets.map((s) => `'${s}'`).join(', ');
      await q.query(
        `CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION audit_row_change(${args})`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'api_key',
      'mfa_recovery_code',
      'password_reset_token',
      'refresh_token',
      'user_site',
      'app_user',
      'site',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    // The Foundation's version of audit_row_change() ignored trigger arguments; no table passes any now.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql
      SET search_path = pg_catalog, public AS $$
      DECLARE
        v_actor   text := nullif(current_setting('registry.actor', true), '');
        v_address text := nullif(current_setting('registry.client_address', true), '');
        v_old     jsonb;
        v_new     jsonb;
      BEGIN
        IF v_actor IS NULL THEN
          RAISE EXCEPTION 'audit: no actor set for a change to %', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'write through TransactionService.run(), which sets registry.actor';
        END IF;
        IF TG_OP <> 'INSERT' THEN v_old := to_jsonb(OLD); END IF;
        IF TG_OP <> 'DELETE' THEN v_new := to_jsonb(NEW); END IF;
        INSERT INTO public.audit_event (actor, action, entity_type, entity_id, old_values, new_values,
                                 reason, request_id, client_address)
        VALUES (v_actor, lower(TG_OP), TG_TABLE_NAME, coalesce(v_new ->> 'id', v_old ->> 'id'), v_old, v_new,
                nullif(current_setting('registry.reason', true), ''),
                nullif(current_setting('registry.request_id', true), ''),
                v_address::inet);
        RETURN NULL;
      END $$`);
  }
}
