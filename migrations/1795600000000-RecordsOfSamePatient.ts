import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A complication's ECMO run and an assessment's follow-up visit must be the same patient's: the database
 * now holds that rule itself, with a foreign key on (id, patient_id) in place of the one on id alone. The
 * api checked it with a read before each write (issue 7, write benchmark: one statement of eight); it now
 * maps a violation of these constraints to the same 422. Added NOT VALID then validated, so that existing
 * rows are checked without blocking writes to the tables for the whole scan.
 */
export class RecordsOfSamePatient1795600000000 implements MigrationInterface {
  name = 'RecordsOfSamePatient1795600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ecmo_run ADD CONSTRAINT ecmo_run_id_patient_key UNIQUE (id, patient_id)`);
    await q.query(
      `ALTER TABLE complication ADD CONSTRAINT complication_run_of_patient
         FOREIGN KEY (ecmo_run_id, patient_id) REFERENCES ecmo_run (id, patient_id) NOT VALID`,
    );
    await q.query(`ALTER TABLE complication VALIDATE CONSTRAINT complication_run_of_patient`);
    await q.query(`ALTER TABLE complication DROP CONSTRAINT complication_ecmo_run_id_fkey`);

    await q.query(
      `ALTER TABLE follow_up_visit ADD CONSTRAINT follow_up_visit_id_patient_key UNIQUE (id, patient_id)`,
    );
    await q.query(
      `ALTER TABLE follow_up_assessment ADD CONSTRAINT follow_up_assessment_visit_of_patient
         FOREIGN KEY (visit_id, patient_id) REFERENCES follow_up_visit (id, patient_id) NOT VALID`,
    );
    await q.query(
      `ALTER TABLE follow_up_assessment VALIDATE CONSTRAINT follow_up_assessment_visit_of_patient`,
    );
    await q.query(`ALTER TABLE follow_up_assessment DROP CONSTRAINT follow_up_assessment_visit_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE follow_up_assessment ADD CONSTRAINT follow_up_assessment_visit_id_fkey
         FOREIGN KEY (visit_id) REFERENCES follow_up_visit (id)`,
    );
    await q.query(`ALTER TABLE follow_up_assessment DROP CONSTRAINT follow_up_assessment_visit_of_patient`);
    await q.query(`ALTER TABLE follow_up_visit DROP CONSTRAINT follow_up_visit_id_patient_key`);
    await q.query(
      `ALTER TABLE complication ADD CONSTRAINT complication_ecmo_run_id_fkey
         FOREIGN KEY (ecmo_run_id) REFERENCES ecmo_run (id)`,
    );
    await q.query(`ALTER TABLE complication DROP CONSTRAINT complication_run_of_patient`);
    await q.query(`ALTER TABLE ecmo_run DROP CONSTRAINT ecmo_run_id_patient_key`);
  }
}
