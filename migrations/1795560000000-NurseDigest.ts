import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The nurses' daily digest (issue 5, last slice): one e-mail a day per site to each of its research nurses,
 * counting what is on the site's worklist and what happened since the previous digest. The table is the
 * ledger: a row per site, day and nurse, claimed before the provider is called (so a digest is sent at most
 * once), completed with the provider's reference after. `not_sent` (the provider certainly did not take it) is
 * claimed again at the next run, up to 3 attempts. Audited like every other table.
 */
export class NurseDigest1795560000000 implements MigrationInterface {
  name = 'NurseDigest1795560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE nurse_digest (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        site_id      uuid        NOT NULL REFERENCES site (id),
        user_id      uuid        NOT NULL REFERENCES app_user (id),
        digest_on    date        NOT NULL,
        status       text        NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'not_sent', 'unknown')),
        attempts     integer     NOT NULL DEFAULT 1 CHECK (attempts BETWEEN 1 AND 3),
        provider     text        NOT NULL,
        provider_ref text,
        detail       text,
        claimed_at   timestamptz NOT NULL,
        settled_at   timestamptz,
        UNIQUE (site_id, digest_on, user_id)
      )`);
    await q.query(
      `CREATE INDEX nurse_digest_sending_idx ON nurse_digest (claimed_at) WHERE status = 'sending'`,
    );
    await q.query(
      `CREATE TRIGGER nurse_digest_audit AFTER INSERT OR UPDATE OR DELETE ON nurse_digest
       FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE nurse_digest`);
  }
}
