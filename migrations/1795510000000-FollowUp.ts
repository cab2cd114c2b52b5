import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The default follow-up protocol (domain guide §4), frozen as published: discharge, day 30, months 3, 6 and
 * 12 anchored on the last decannulation, then optional yearly visits up to year 5. Later versions are
 * published by administrators through the api; this one never changes.
 */
const PROTOCOL_V1 = `[{"code": "discharge", "label": "Discharge", "anchor": "discharge", "offsetDays": 0, "windowBeforeDays": 0, "windowAfterDays": 14, "optional": false}, {"code": "day_30", "label": "Day 30", "anchor": "decannulation", "offsetDays": 30, "windowBeforeDays": 7, "windowAfterDays": 14, "optional": false}, {"code": "month_3", "label": "Month 3", "anchor": "decannulation", "offsetDays": 90, "windowBeforeDays": 14, "windowAfterDays": 14, "optional": false}, {"code": "month_6", "label": "Month 6", "anchor": "decannulation", "offsetDays": 182, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": false}, {"code": "month_12", "label": "Month 12", "anchor": "decannulation", "offsetDays": 365, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": false}, {"code": "year_2", "label": "Year 2", "anchor": "decannulation", "offsetDays": 730, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": true}, {"code": "year_3", "label": "Year 3", "anchor": "decannulation", "offsetDays": 1095, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": true}, {"code": "year_4", "label": "Year 4", "anchor": "decannulation", "offsetDays": 1460, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": true}, {"code": "year_5", "label": "Year 5", "anchor": "decannulation", "offsetDays": 1825, "windowBeforeDays": 30, "windowAfterDays": 30, "optional": true}]`;

/**
 * Follow-up (issue 5, first slice): versioned protocols as data, the patient's protocol and follow-up plan,
 * and the visits planned from them. Protocol rows are append-only (no UPDATE for the application role):
 * a change is a new version. Visits are never deleted: a visit no longer required says why.
 */
export class FollowUp1795510000000 implements MigrationInterface {
  name = 'FollowUp1795510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE follow_up_protocol (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        version      integer     NOT NULL UNIQUE CHECK (version > 0),
        title        text        NOT NULL CHECK (btrim(title) <> ''),
        visits       jsonb       NOT NULL CHECK (jsonb_typeof(visits) = 'array' AND jsonb_array_length(visits) > 0),
        notes        text,
        published_by text        NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`REVOKE UPDATE ON follow_up_protocol FROM registry_app`);
    await q.query(
      `INSERT INTO follow_up_protocol (version, title, visits, notes, published_by)
       VALUES (1, 'Default follow-up (ELSO 3/6/12 months, PELS-1 one year)', $1::jsonb,
               'Seeded by migration FollowUp1795510000000', 'system:migration')`,
      [PROTOCOL_V1],
    );

    // The patient's follow-up plan: the protocol version (set at enrolment to the latest published one, moved
    // only explicitly), extended yearly follow-up, and the day a nurse declared the patient lost.
    await q.query(`
      ALTER TABLE patient
        ADD COLUMN protocol_version     integer REFERENCES follow_up_protocol (version),
        ADD COLUMN extended_follow_up   boolean NOT NULL DEFAULT false,
        ADD COLUMN lost_to_follow_up_on date`);

    await q.query(`
      CREATE TABLE follow_up_visit (
        id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id       uuid        NOT NULL REFERENCES patient (id),
        protocol_version integer     NOT NULL REFERENCES follow_up_protocol (version),
        code             text        NOT NULL,
        label            text        NOT NULL,
        sequence         integer     NOT NULL CHECK (sequence > 0),
        anchor           text        NOT NULL CHECK (anchor IN ('decannulation', 'discharge')),
        due_on           date,
        opens_on         date,
        closes_on        date,
        status           text        NOT NULL CHECK (status IN ('scheduled', 'due', 'booked', 'completed', 'missed', 'not_required', 'lost_to_follow_up')),
        status_reason    text        CHECK (status_reason IN ('death', 'withdrawal', 'declined', 'lost_to_follow_up', 'protocol_changed', 'not_planned')),
        version          integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (patient_id, protocol_version, code),
        CHECK ((due_on IS NULL) = (opens_on IS NULL) AND (due_on IS NULL) = (closes_on IS NULL)),
        CHECK (opens_on <= due_on AND due_on <= closes_on),
        CHECK ((status = 'not_required') = (status_reason IS NOT NULL))
      )`);
    // The clock job looks for visits whose window opened or closed since it last ran.
    await q.query(
      `CREATE INDEX follow_up_visit_clock_idx ON follow_up_visit (opens_on, closes_on)
        WHERE status IN ('scheduled', 'due', 'booked')`,
    );

    for (const table of ['follow_up_protocol', 'follow_up_visit']) {
      await q.query(
        `CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE follow_up_visit`);
    await q.query(
      `ALTER TABLE patient DROP COLUMN protocol_version, DROP COLUMN extended_follow_up, DROP COLUMN lost_to_follow_up_on`,
    );
    await q.query(`DROP TABLE follow_up_protocol`);
  }
}
