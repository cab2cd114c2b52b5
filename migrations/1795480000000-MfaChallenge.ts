import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The password step of a sign-in opens one challenge per user, which the second step (TOTP, recovery code or
 * enrolment) must name and closes: an MFA step token works for one sign-in only, and a password reset,
 * password change, MFA reset or disabling cancels the sign-in in progress.
 */
export class MfaChallenge1795480000000 implements MigrationInterface {
  name = 'MfaChallenge1795480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE app_user ADD COLUMN mfa_challenge uuid`);
    await q.query(`DROP TRIGGER app_user_audit ON app_user`);
    await q.query(
      `CREATE TRIGGER app_user_audit AFTER INSERT OR UPDATE OR DELETE ON app_user FOR EACH ROW
       EXECUTE FUNCTION audit_row_change('password_hash', 'totp_secret', 'totp_pending_secret', 'mfa_challenge')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER app_user_audit ON app_user`);
    await q.query(
      `CREATE TRIGGER app_user_audit AFTER INSERT OR UPDATE OR DELETE ON app_user FOR EACH ROW
       EXECUTE FUNCTION audit_row_change('password_hash', 'totp_secret', 'totp_pending_secret')`,
    );
    await q.query(`ALTER TABLE app_user DROP COLUMN mfa_challenge`);
  }
}
