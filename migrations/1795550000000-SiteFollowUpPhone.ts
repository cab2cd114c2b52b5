import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The telephone number a site's patients call about their follow-up (issue 5, last slice): patient reminders
 * end with it. Optional: until an administrator sets it, reminders point to the appointment letter. Digits,
 * spaces and one leading '+' only, as the person typed it (the site table's audit trigger keeps every change).
 */
export class SiteFollowUpPhone1795550000000 implements MigrationInterface {
  name = 'SiteFollowUpPhone1795550000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE site ADD COLUMN follow_up_phone text
        CHECK (follow_up_phone ~ '^\\+?[0-9][0-9 ]{4,18}[0-9]$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site DROP COLUMN follow_up_phone`);
  }
}
