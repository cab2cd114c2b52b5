import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ground every later migration stands on:
 * - pgcrypto (gen_random_uuid, digests);
 * - default privileges: tables the owner creates from now on are readable and writable (never deletable:
 *   clinical data is never hard-deleted) by the application group role; a table that needs DELETE grants it;
 * - the append-only audit trail (ICH GCP E6(R3): who, when, what old and new, why), which the application
 *   role may only INSERT into and SELECT from, guarded again by triggers against UPDATE, DELETE and TRUNCATE;
 * - audit_row_change(), the trigger function later migrations attach to every clinical table;
 * - worker_heartbeat, the effect of the heartbeat job (proof that the queue path works end to end).
 */
export class Foundation1795460000000 implements MigrationInterface {
  name = 'Foundation1795460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await q.query(`GRANT SELECT ON schema_migrations TO registry_app`);
    await q.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO registry_app`,
    );
    await q.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO registry_app`,
    );
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO registry_app`);

    await q.query(`
      CREATE TABLE audit_event (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at    timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
        actor          text        NOT NULL CHECK (actor <> ''),
        action         text        NOT NULL CHECK (action <> ''),
        entity_type    text,
        entity_id      text,
        old_values     jsonb,
        new_values     jsonb,
        reason         text,
        request_id     text,
        client_address inet
      )`);
    await q.query(`CREATE INDEX audit_event_entity_idx ON audit_event (entity_type, entity_id, id)`);
    await q.query(`CREATE INDEX audit_event_actor_idx ON audit_event (actor, occurred_at)`);
    await q.query(`REVOKE ALL ON audit_event FROM registry_app`);
    // Column-level INSERT: the application cannot choose the id, the time or the transaction of an entry.
    await q.query(
      `GRANT SELECT, INSERT (actor, action, entity_type, entity_id, old_values, new_values, reason, request_id, client_address)
         ON audit_event TO registry_app`,
    );

    await q.query(`
      CREATE FUNCTION audit_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only()`);

    // Attach with: CREATE TRIGGER <table>_audit AFTER INSERT OR UPDATE OR DELETE ON <table>
    //              FOR EACH ROW EXECUTE FUNCTION audit_row_change();
    // The actor is mandatory: a write outside TransactionService.run() (no registry.actor) is refused.
    await q.query(`
      CREATE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql
      -- A fixed search path: a caller's own (e.g. temporary) audit_event must never capture the trail.
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

    await q.query(`
      CREATE TABLE worker_heartbeat (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id       text        NOT NULL UNIQUE,
        worker       text        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX worker_heartbeat_processed_at_idx ON worker_heartbeat (processed_at)`);
    // Heartbeats are operational, not clinical: the worker prunes the old ones.
    await q.query(`GRANT DELETE ON worker_heartbeat TO registry_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE worker_heartbeat`);
    await q.query(`DROP FUNCTION audit_row_change()`);
    await q.query(`DROP TABLE audit_event`);
    await q.query(`DROP FUNCTION audit_event_is_append_only()`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM registry_app`);
    await q.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM registry_app`,
    );
    await q.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE ON TABLES FROM registry_app`,
    );
  }
}
