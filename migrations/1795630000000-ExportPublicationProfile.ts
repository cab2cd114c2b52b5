import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25: the `publication` profile (the aggregate report only, safe to publish) beside `internal` and
 * `external_audit`. Exports already made keep their profile; none is rewritten.
 */
export class ExportPublicationProfile1795630000000 implements MigrationInterface {
  name = 'ExportPublicationProfile1795630000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_export DROP CONSTRAINT audit_export_profile_check`);
    await q.query(
      `ALTER TABLE audit_export ADD CONSTRAINT audit_export_profile_check
         CHECK (profile IN ('internal', 'external_audit', 'publication'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_export DROP CONSTRAINT audit_export_profile_check`);
    await q.query(
      `ALTER TABLE audit_export ADD CONSTRAINT audit_export_profile_check
         CHECK (profile IN ('internal', 'external_audit'))`,
    );
  }
}
