import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose every change the audit trigger records (old and new row, actor, reason, request id). */
const AUDITED = [
  'patient',
  'patient_identity',
  'consent_event',
  'index_operation',
  'ecmo_run',
  'complication',
  'hospital_outcome',
];

/**
 * Columns every correctable clinical record shares:
 * - `missing`: why a value is missing, `{"field": "<missing_reason code>"}`, kept apart from the value (domain
 *   guide §3: never a magic number in the value column);
 * - `version`: the optimistic-concurrency version (ETag), bumped by every conditional UPDATE;
 * - `voided_at` / `void_reason`: "entered in error" — nothing is hard-deleted, a void stays visible.
 */
const RECORD_COLUMNS = `
        missing     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(missing) = 'object'),
        version     integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        voided_at   timestamptz,
        void_reason text        CHECK (void_reason IS NULL OR btrim(void_reason) <> ''),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CHECK ((voided_at IS NULL) = (void_reason IS NULL))`;

/**
 * The registry's clinical core (issue 4, domain guide §3): the patient, their identity kept apart and
 * encrypted, the key table, the consent timeline, the index operation, ECMO runs, complications and the
 * hospital outcome. Coded columns hold codes of the value sets (migration ValueSets), validated by the
 * application against the current version; the CHECKs here hold what no version may change.
 */
export class RegistryCore1795500000000 implements MigrationInterface {
  name = 'RegistryCore1795500000000';

  async up(q: QueryRunner): Promise<void> {
    // Consent-derived columns are a cache of consent_event, rewritten in the transaction that changes it.
    await q.query(`
      CREATE TABLE patient (
        id                           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        site_id                      uuid        NOT NULL REFERENCES site (id),
        enrolment_site_id            uuid        NOT NULL REFERENCES site (id),
        registry_number              integer     NOT NULL CHECK (registry_number > 0),
        registry_id                  text        NOT NULL UNIQUE CHECK (registry_id ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{4,}$'),
        sex                          text        NOT NULL,
        age_at_ecmo_start            integer     NOT NULL CHECK (age_at_ecmo_start BETWEEN 0 AND 130),
        mdt_decision_at              timestamptz,
        mdt_decision_by              text        CHECK (mdt_decision_by IS NULL OR btrim(mdt_decision_by) <> ''),
        eligibility_failures         jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(eligibility_failures) = 'array'),
        consent_state                text,
        counting_only_since          timestamptz,
        contact_withdrawn_at         timestamptz,
        data_collection_withdrawn_at timestamptz,
        export_withdrawn_at          timestamptz,
        synthetic                    boolean     NOT NULL DEFAULT false,
        missing                      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(missing) = 'object'),
        version                      integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at                   timestamptz NOT NULL DEFAULT now(),
        updated_at                   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (enrolment_site_id, registry_number)
      )`);
    await q.query(`CREATE INDEX patient_site_idx ON patient (site_id, registry_id)`);

    // The key table: wrapped data keys and keyed hashes, deliberately without the audit trigger (its changes
    // are audit events without key material), so that deleting a row destroys the only decryptable and
    // matchable copy of a patient's identity (crypto-shredding).
    await q.query(`
      CREATE TABLE patient_key (
        patient_id      uuid        PRIMARY KEY REFERENCES patient (id),
        key_id          text        NOT NULL,
        wrapped_key     text        NOT NULL,
        nhs_number_hash bytea       NOT NULL UNIQUE,
        name_dob_hash   bytea       NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        rotated_at      timestamptz
      )`);
    await q.query(`CREATE INDEX patient_key_name_dob_idx ON patient_key (name_dob_hash)`);
    await q.query(`CREATE INDEX patient_key_key_id_idx ON patient_key (key_id)`);
    await q.query(`GRANT DELETE ON patient_key TO registry_app`);

    // Identity: every identifier sealed (AES-256-GCM) under the patient's data key; the id is the patient's,
    // so its audit rows name the patient and hold ciphertext only.
    await q.query(`
      CREATE TABLE patient_identity (
        id               uuid        PRIMARY KEY REFERENCES patient (id),
        nhs_number       text        NOT NULL,
        family_name      text        NOT NULL,
        given_name       text        NOT NULL,
        date_of_birth    text        NOT NULL,
        phone            text,
        email            text,
        address          text,
        reminder_channel text        NOT NULL CHECK (reminder_channel IN ('sms', 'email', 'none')),
        version          integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE consent_event (
        id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id         uuid        NOT NULL REFERENCES patient (id),
        kind               text        NOT NULL CHECK (kind IN ('emergency_enrolment', 'consultee_advice', 'patient_consent', 'patient_declined', 'withdrawal')),
        occurred_at        timestamptz NOT NULL,
        independent_doctor text        CHECK (independent_doctor IS NULL OR btrim(independent_doctor) <> ''),
        consultee_type     text        CHECK (consultee_type IN ('personal', 'nominated')),
        consultee_agreed   boolean,
        withdrawal_level   text        CHECK (withdrawal_level IN ('a', 'b', 'c')),
        note               text,
        ${RECORD_COLUMNS},
        CHECK ((kind = 'emergency_enrolment') = (independent_doctor IS NOT NULL)),
        CHECK ((kind = 'consultee_advice') = (consultee_type IS NOT NULL AND consultee_agreed IS NOT NULL)),
        CHECK ((kind = 'withdrawal') = (withdrawal_level IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX consent_event_patient_idx ON consent_event (patient_id, occurred_at)`);

    await q.query(`
      CREATE TABLE index_operation (
        id                  uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id          uuid         NOT NULL REFERENCES patient (id),
        operation_date      date         NOT NULL,
        category            text         NOT NULL,
        category_detail     text,
        urgency             text,
        redo                boolean,
        bypass_minutes      integer      CHECK (bypass_minutes BETWEEN 0 AND 2000),
        cross_clamp_minutes integer      CHECK (cross_clamp_minutes BETWEEN 0 AND 1000),
        euroscore_ii        numeric(5,2) CHECK (euroscore_ii BETWEEN 0 AND 100),
        ${RECORD_COLUMNS}
      )`);
    await q.query(
      `CREATE UNIQUE INDEX index_operation_one_per_patient ON index_operation (patient_id) WHERE voided_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE ecmo_run (
        id                 uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id         uuid         NOT NULL REFERENCES patient (id),
        started_at         timestamptz  NOT NULL,
        ended_at           timestamptz,
        mode               text         NOT NULL,
        start_location     text         NOT NULL,
        started_for        text         NOT NULL,
        cannulation        text,
        drainage_site      text,
        return_site        text,
        distal_perfusion   boolean,
        lv_unloading       text,
        pre_cardiac_arrest boolean,
        pre_lactate        numeric(4,1) CHECK (pre_lactate BETWEEN 0 AND 30),
        pre_vis            numeric(6,1) CHECK (pre_vis BETWEEN 0 AND 1000),
        pre_ph             numeric(4,2) CHECK (pre_ph BETWEEN 6.5 AND 8.0),
        end_reason         text,
        ${RECORD_COLUMNS},
        CHECK (ended_at IS NULL OR ended_at > started_at),
        CHECK ((ended_at IS NULL) = (end_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX ecmo_run_patient_idx ON ecmo_run (patient_id, started_at)`);

    await q.query(`
      CREATE TABLE complication (
        id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id  uuid        NOT NULL REFERENCES patient (id),
        ecmo_run_id uuid        REFERENCES ecmo_run (id),
        code        text        NOT NULL,
        description text        CHECK (description IS NULL OR btrim(description) <> ''),
        onset_at    timestamptz NOT NULL,
        grade       integer     CHECK (grade BETWEEN 1 AND 5),
        serious     boolean,
        relation    text,
        outcome     text,
        ${RECORD_COLUMNS}
      )`);
    await q.query(`CREATE INDEX complication_patient_idx ON complication (patient_id, onset_at)`);

    await q.query(`
      CREATE TABLE hospital_outcome (
        id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id     uuid        NOT NULL REFERENCES patient (id),
        kind           text        NOT NULL CHECK (kind IN ('discharge', 'death')),
        occurred_at    timestamptz NOT NULL,
        destination    text,
        cause_of_death text,
        cause_detail   text,
        ${RECORD_COLUMNS},
        CHECK (kind = 'discharge' OR destination IS NULL),
        CHECK (kind = 'death' OR cause_of_death IS NULL)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX hospital_outcome_one_per_patient ON hospital_outcome (patient_id) WHERE voided_at IS NULL`,
    );

    for (const table of AUDITED) {
      await q.query(
        `CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
      );
    }
    // History reads a patient's records' rows from the trail by (entity_type, entity_id): indexed already.
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'hospital_outcome',
      'complication',
      'ecmo_run',
      'index_operation',
      'consent_event',
      'patient_identity',
      'patient_key',
      'patient',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
