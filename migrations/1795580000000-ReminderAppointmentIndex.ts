import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on the appointment a reminder belongs to (issue 7, scheduling benchmark). Every view of an
 * appointment (booking, moving, cancelling, reading it) lists its reminders by `appointment_id`, and the only
 * index on that column was partial (the live reminders of a kind): at 123,000 reminders the lookup was a
 * sequential scan of 6–7 ms on every such request, growing with the table.
 */
export class ReminderAppointmentIndex1795580000000 implements MigrationInterface {
  name = 'ReminderAppointmentIndex1795580000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX reminder_appointment_idx ON reminder (appointment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX reminder_appointment_idx`);
  }
}
