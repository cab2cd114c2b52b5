import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 24: a reminder goes out once per appointment date and days-before, whatever the send time, the
 * configuration or a replan says later. Each reminder now keeps the appointment's local date it was planned
 * for (`appointment_date`): the planner adds none where one for the same date and days-before was handed to
 * a provider already (sending, sent or unknown). Rows already there get the date their moment was planned
 * from (the London day of `due_at`, plus the days before), audited as this migration.
 *
 * An e-mail whose delivery is unknown (SMTP cannot be asked) is sent once more, with the same Message-ID,
 * while its appointment is ahead: the delivery ledger records that resend (`resent_at`, `resend_outcome`,
 * `resend_detail`), so it happens at most once.
 */
export class ReminderOncePerDate1795610000000 implements MigrationInterface {
  name = 'ReminderOncePerDate1795610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reminder ADD COLUMN appointment_date date`);
    await q.query(`SELECT set_config('registry.actor', 'system:migration', true)`);
    await q.query(
      `UPDATE reminder
          SET appointment_date = (due_at AT TIME ZONE 'Europe/London')::date + days_before
        WHERE appointment_date IS NULL`,
    );
    await q.query(`ALTER TABLE reminder ALTER COLUMN appointment_date SET NOT NULL`);
    await q.query(
      `CREATE INDEX reminder_handed_over_idx ON reminder (appointment_id, appointment_date, days_before)
        WHERE status IN ('sending', 'sent', 'unknown')`,
    );
    await q.query(
      `ALTER TABLE reminder_delivery
         ADD COLUMN resent_at timestamptz,
         ADD COLUMN resend_outcome text CHECK (resend_outcome IN ('sent', 'failed', 'unknown')),
         ADD COLUMN resend_detail text,
         ADD CHECK (resend_outcome IS NULL OR resent_at IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE reminder_delivery DROP COLUMN resend_detail, DROP COLUMN resend_outcome, DROP COLUMN resent_at`,
    );
    await q.query(`DROP INDEX reminder_handed_over_idx`);
    await q.query(`ALTER TABLE reminder DROP COLUMN appointment_date`);
  }
}
