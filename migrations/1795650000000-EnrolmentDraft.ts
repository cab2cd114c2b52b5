import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 26: a half-done enrolment, kept across sign-ins. Its answers (the identity included) are sealed as
 * identities are: a data key of its own, wrapped by the identity master key, seals the whole draft, bound to
 * the draft's id. A draft ends when it is submitted (the patient it became), discarded or expired
 * (DRAFT_TTL); its key and answers are then destroyed, the row kept.
 */
export class EnrolmentDraft1795650000000 implements MigrationInterface {
  name = 'EnrolmentDraft1795650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrolment_draft (
        id           uuid        PRIMARY KEY,
        user_id      uuid        NOT NULL REFERENCES app_user (id),
        site_id      uuid        NOT NULL REFERENCES site (id),
        key_id       text,
        wrapped_key  text,
        sealed       text,
        sections     text[]      NOT NULL DEFAULT '{}',
        version      integer     NOT NULL DEFAULT 1,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        ended_at     timestamptz,
        ended_reason text        CHECK (ended_reason IN ('submitted', 'discarded', 'expired')),
        patient_id   uuid        REFERENCES patient (id),
        CHECK ((ended_at IS NULL) = (ended_reason IS NULL)),
        CHECK ((ended_at IS NULL) = (sealed IS NOT NULL AND wrapped_key IS NOT NULL AND key_id IS NOT NULL)),
        CHECK ((ended_reason = 'submitted') = (patient_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX enrolment_draft_open_idx ON enrolment_draft (user_id, created_at) WHERE ended_at IS NULL`,
    );
    await q.query(
      `CREATE TRIGGER enrolment_draft_audit AFTER INSERT OR UPDATE OR DELETE ON enrolment_draft
       FOR EACH ROW EXECUTE FUNCTION audit_row_change('wrapped_key', 'sealed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE enrolment_draft`);
  }
}
