import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Follow-up assessments (issue 5, first slice): what a nurse records at a visit (domain guide §4). Coded
 * like every clinical record: missing reasons apart from the values, a version for If-Match, voids instead
 * of deletes, the audit trigger. One live assessment per visit; its existence completes the visit.
 */
export class FollowUpAssessment1795520000000 implements MigrationInterface {
  name = 'FollowUpAssessment1795520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE follow_up_assessment (
        id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id               uuid        NOT NULL REFERENCES patient (id),
        visit_id                 uuid        NOT NULL REFERENCES follow_up_visit (id),
        assessed_on              date        NOT NULL,
        source                   text        NOT NULL CHECK (source IN ('clinic', 'telephone', 'video', 'records')),
        vital_status             text        NOT NULL CHECK (vital_status IN ('alive', 'dead')),
        died_on                  date,
        cause_of_death           text,
        cause_detail             text        CHECK (cause_detail IS NULL OR btrim(cause_detail) <> ''),
        mrs                      smallint    CHECK (mrs BETWEEN 0 AND 6),
        nyha                     smallint    CHECK (nyha BETWEEN 1 AND 4),
        eq5d_mobility            smallint    CHECK (eq5d_mobility BETWEEN 1 AND 5),
        eq5d_self_care           smallint    CHECK (eq5d_self_care BETWEEN 1 AND 5),
        eq5d_usual_activities    smallint    CHECK (eq5d_usual_activities BETWEEN 1 AND 5),
        eq5d_pain_discomfort     smallint    CHECK (eq5d_pain_discomfort BETWEEN 1 AND 5),
        eq5d_anxiety_depression  smallint    CHECK (eq5d_anxiety_depression BETWEEN 1 AND 5),
        eq_vas                   smallint    CHECK (eq_vas BETWEEN 0 AND 100),
        readmissions             smallint    CHECK (readmissions BETWEEN 0 AND 50),
        return_to_work           text        CHECK (return_to_work IN ('full', 'partial', 'no', 'not_applicable')),
        missing                  jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(missing) = 'object'),
        version                  integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        voided_at                timestamptz,
        void_reason              text        CHECK (void_reason IS NULL OR btrim(void_reason) <> ''),
        created_at               timestamptz NOT NULL DEFAULT now(),
        updated_at               timestamptz NOT NULL DEFAULT now(),
        CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
        CHECK (vital_status = 'dead' OR (died_on IS NULL AND cause_of_death IS NULL AND cause_detail IS NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX follow_up_assessment_one_per_visit ON follow_up_assessment (visit_id) WHERE voided_at IS NULL`,
    );
    await q.query(`CREATE INDEX follow_up_assessment_patient_idx ON follow_up_assessment (patient_id)`);
    await q.query(
      `CREATE TRIGGER follow_up_assessment_audit AFTER INSERT OR UPDATE OR DELETE ON follow_up_assessment
       FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE follow_up_assessment`);
  }
}
