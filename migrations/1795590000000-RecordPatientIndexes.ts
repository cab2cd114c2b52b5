import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes on the patient of an index operation and of a hospital outcome (issue 7, read benchmark). The patient
 * summary reads all of a patient's records, voided ones included (`WHERE patient_id = $1 ORDER BY
 * created_at`), and the only indexes on `patient_id` in these two tables were partial (the one live record
 * rule, `WHERE voided_at IS NULL`), which that query cannot use: every summary scanned both tables whole.
 */
export class RecordPatientIndexes1795590000000 implements MigrationInterface {
  name = 'RecordPatientIndexes1795590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX index_operation_patient_idx ON index_operation (patient_id, created_at)`);
    await q.query(`CREATE INDEX hospital_outcome_patient_idx ON hospital_outcome (patient_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX hospital_outcome_patient_idx`);
    await q.query(`DROP INDEX index_operation_patient_idx`);
  }
}
