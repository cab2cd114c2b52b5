import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appointments (issue 5, second slice): a nurse books one for a visit at a local date and time. The local
 * date, time and IANA zone are stored as booked, with the UTC instant they resolve to (a time that does not
 * exist or happens twice on a clock-change day is refused before it gets here). A move rewrites the row
 * (version + 1, the audit row keeps from/to); nothing is deleted.
 */
export class Appointment1795530000000 implements MigrationInterface {
  name = 'Appointment1795530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE appointment (
        id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id    uuid        NOT NULL REFERENCES patient (id),
        visit_id      uuid        NOT NULL REFERENCES follow_up_visit (id),
        local_date    date        NOT NULL,
        local_time    text        NOT NULL CHECK (local_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        zone          text        NOT NULL,
        starts_at     timestamptz NOT NULL,
        mode          text        NOT NULL CHECK (mode IN ('clinic', 'telephone', 'video')),
        place         text        CHECK (place IS NULL OR btrim(place) <> ''),
        status        text        NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'missed')),
        cancel_reason text        CHECK (cancel_reason IS NULL OR btrim(cancel_reason) <> ''),
        version       integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
      )`);
    // One appointment booked per visit at a time: a second booking is a move of the first.
    await q.query(
      `CREATE UNIQUE INDEX appointment_one_booked_per_visit ON appointment (visit_id) WHERE status = 'booked'`,
    );
    await q.query(`CREATE INDEX appointment_patient_idx ON appointment (patient_id)`);
    await q.query(`CREATE INDEX appointment_starts_idx ON appointment (starts_at) WHERE status = 'booked'`);
    await q.query(
      `CREATE TRIGGER appointment_audit AFTER INSERT OR UPDATE OR DELETE ON appointment
       FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE appointment`);
  }
}
