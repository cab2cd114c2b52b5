import type { MigrationInterface, QueryRunner } from 'typeorm';

type Code = readonly [code: string, label: string, group?: string, requiresText?: boolean];

/**
 * Version 1 of the registry's value sets (domain guide §3), frozen here: a later change is a new version in a
 * new migration, never an edit of this one, so exported data always names the version it was coded with.
 */
const VERSION_1: Record<string, { readonly title: string; readonly codes: readonly Code[] }> = {
  complication: {
    title: 'Complications (ELSO-style taxonomy, domain guide §3.6)',
    codes: [
      ['bleeding_surgical_site', 'Surgical site bleeding', 'bleeding'],
      ['bleeding_cannulation_site', 'Cannulation site bleeding', 'bleeding'],
      ['bleeding_gastrointestinal', 'Gastrointestinal bleeding', 'bleeding'],
      ['bleeding_pulmonary', 'Pulmonary haemorrhage', 'bleeding'],
      ['bleeding_intracranial', 'Intracranial bleeding', 'bleeding'],
      ['cardiac_tamponade', 'Cardiac tamponade', 'bleeding'],
      ['reoperation_for_bleeding', 'Re-operation for bleeding', 'bleeding'],
      ['circuit_thrombosis', 'Circuit or oxygenator thrombosis', 'thrombosis_circuit'],
      ['oxygenator_failure', 'Oxygenator failure', 'thrombosis_circuit'],
      ['pump_failure', 'Pump failure', 'thrombosis_circuit'],
      ['cannula_problem', 'Cannula problem (dislodgement, misplacement)', 'thrombosis_circuit'],
      ['air_in_circuit', 'Air in circuit', 'thrombosis_circuit'],
      ['circuit_change', 'Circuit change', 'thrombosis_circuit'],
      ['ischaemic_stroke', 'Ischaemic stroke', 'neurological'],
      ['intracranial_haemorrhage', 'Intracranial haemorrhage', 'neurological'],
      ['seizure', 'Seizure', 'neurological'],
      ['brain_death', 'Brain death', 'neurological'],
      ['acute_kidney_injury', 'Acute kidney injury', 'renal'],
      ['renal_replacement_therapy', 'Renal replacement therapy started', 'renal'],
      ['limb_ischaemia', 'Limb ischaemia', 'limb_vascular'],
      ['compartment_syndrome', 'Compartment syndrome or fasciotomy', 'limb_vascular'],
      ['amputation', 'Amputation', 'limb_vascular'],
      ['vascular_injury', 'Vascular injury or pseudo-aneurysm', 'limb_vascular'],
      ['culture_proven_infection', 'Culture-proven infection', 'infection'],
      ['cannula_site_infection', 'Cannula-site infection', 'infection'],
      ['sepsis', 'Sepsis', 'infection'],
      ['haemolysis', 'Haemolysis (plasma free haemoglobin above 50 mg/dL)', 'haemolysis'],
      ['arrhythmia', 'Arrhythmia', 'cardiac_pulmonary'],
      ['cardiac_arrest_on_ecmo', 'Cardiac arrest on ECMO', 'cardiac_pulmonary'],
      ['lv_distension', 'LV distension or pulmonary oedema', 'cardiac_pulmonary'],
      ['differential_hypoxaemia', 'Differential hypoxaemia', 'cardiac_pulmonary'],
      ['pneumothorax', 'Pneumothorax', 'cardiac_pulmonary'],
      ['other', 'Other (free-text description required)', 'other', true],
    ],
  },
  operation_category: {
    title: 'Index operation category',
    codes: [
      ['cabg', 'Coronary artery bypass grafting'],
      ['valve', 'Valve surgery'],
      ['aortic', 'Aortic surgery'],
      ['combined', 'Combined procedure'],
      ['transplant', 'Heart transplant'],
      ['vad_implant', 'VAD implant'],
      ['other', 'Other cardiac surgery', undefined, true],
    ],
  },
  operation_urgency: {
    title: 'Index operation urgency (EuroSCORE II definitions)',
    codes: [
      ['elective', 'Elective'],
      ['urgent', 'Urgent'],
      ['emergency', 'Emergency'],
      ['salvage', 'Salvage'],
    ],
  },
  ecmo_start_location: {
    title: 'Where the ECMO run started',
    codes: [
      ['theatre', 'Theatre'],
      ['icu', 'Intensive care unit'],
      ['elsewhere', 'Elsewhere'],
    ],
  },
  ecmo_started_for: {
    title: 'Why the ECMO run started (postcardiotomy cardiogenic shock)',
    codes: [
      ['failure_to_wean', 'Failure to wean from cardiopulmonary bypass (in theatre)'],
      ['post_operative_shock', 'Cardiogenic shock after the operation'],
    ],
  },
  ecmo_mode: {
    title: 'ECMO mode',
    codes: [
      ['VA', 'Veno-arterial'],
      ['VV', 'Veno-venous'],
      ['VAV', 'Veno-arterio-venous'],
    ],
  },
  cannulation: {
    title: 'Cannulation approach',
    codes: [
      ['central', 'Central'],
      ['peripheral', 'Peripheral'],
    ],
  },
  cannula_site: {
    title: 'Drainage or return cannula site',
    codes: [
      ['femoral', 'Femoral'],
      ['jugular', 'Jugular'],
      ['subclavian_axillary', 'Subclavian or axillary'],
      ['right_atrium', 'Right atrium'],
      ['aorta', 'Aorta'],
    ],
  },
  lv_unloading: {
    title: 'Left-ventricular unloading',
    codes: [
      ['none', 'None'],
      ['iabp', 'Intra-aortic balloon pump'],
      ['impella', 'Impella'],
      ['surgical_vent', 'Surgical vent'],
      ['septostomy', 'Atrial septostomy'],
    ],
  },
  ecmo_end_reason: {
    title: 'How the ECMO run ended',
    codes: [
      ['weaned', 'Weaned (recovered)'],
      ['bridged_vad', 'Bridged to VAD'],
      ['bridged_transplant', 'Bridged to transplant'],
      ['died_on_ecmo', 'Died on ECMO'],
      ['withdrawn_futility', 'Care withdrawn (futility)'],
      ['transferred_on_ecmo', 'Transferred on ECMO'],
    ],
  },
  complication_relation: {
    title: 'Relation of a complication to ECMO',
    codes: [
      ['related', 'Related'],
      ['possibly', 'Possibly related'],
      ['unrelated', 'Unrelated'],
    ],
  },
  complication_outcome: {
    title: 'Outcome of a complication',
    codes: [
      ['resolved', 'Resolved'],
      ['ongoing', 'Ongoing'],
      ['fatal', 'Fatal'],
    ],
  },
  discharge_destination: {
    title: 'Destination at hospital discharge',
    codes: [
      ['home', 'Home'],
      ['other_hospital', 'Other hospital'],
      ['rehabilitation', 'Rehabilitation'],
      ['hospice', 'Hospice'],
    ],
  },
  cause_of_death: {
    title: 'Cause of death',
    codes: [
      ['cardiac', 'Cardiac'],
      ['neurological', 'Neurological'],
      ['multi_organ_failure', 'Multi-organ failure'],
      ['bleeding', 'Bleeding'],
      ['infection', 'Infection'],
      ['withdrawal_of_care', 'Withdrawal of care'],
      ['other', 'Other', undefined, true],
    ],
  },
  sex: {
    title: 'Phenotypic sex (NHS Data Dictionary: male, female, indeterminate, not known)',
    codes: [
      ['male', 'Male'],
      ['female', 'Female'],
      ['indeterminate', 'Indeterminate'],
      ['not_known', 'Not known'],
    ],
  },
  missing_reason: {
    title: 'Why a value is missing (kept apart from the value)',
    codes: [
      ['not_done', 'Not done'],
      ['unknown', 'Unknown'],
      ['not_applicable', 'Not applicable'],
      ['patient_declined', 'Patient declined'],
    ],
  },
};

/**
 * Value sets as data (issue 4: "taxonomy and value sets are data"): each set is versioned, its codes carry a
 * label, a group (the complication taxonomy's groups) and whether a free-text description is required.
 * The application may only read them; changes come as new versions through migrations, audited like any
 * clinical table (the seed is recorded under the actor `migration:ValueSets`).
 */
export class ValueSets1795490000000 implements MigrationInterface {
  name = 'ValueSets1795490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE value_set_version (
        value_set    text        NOT NULL CHECK (value_set ~ '^[a-z][a-z_]*$'),
        version      integer     NOT NULL CHECK (version > 0),
        title        text        NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (value_set, version)
      )`);
    await q.query(`
      CREATE TABLE value_set_code (
        value_set     text    NOT NULL,
        version       integer NOT NULL,
        code          text    NOT NULL CHECK (code ~ '^[A-Za-z][A-Za-z0-9_]*$'),
        label         text    NOT NULL,
        group_code    text,
        requires_text boolean NOT NULL DEFAULT false,
        sort_order    integer NOT NULL,
        PRIMARY KEY (value_set, version, code),
        FOREIGN KEY (value_set, version) REFERENCES value_set_version (value_set, version)
      )`);
    // Read-only for the application: the default privileges granted INSERT and UPDATE.
    await q.query(`REVOKE INSERT, UPDATE ON value_set_version, value_set_code FROM registry_app`);
    for (const table of ['value_set_version', 'value_set_code']) {
      await q.query(
        `CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
      );
    }

    await q.query(`SELECT set_config('registry.actor', 'migration:ValueSets', true)`);
    for (const [name, set] of Object.entries(VERSION_1)) {
      await q.query(`INSERT INTO value_set_version (value_set, version, title) VALUES ($1, 1, $2)`, [
        name,
        set.title,
      ]);
      for (const [index, [code, label, group, requiresText]] of set.codes.entries()) {
        await q.query(
          `INSERT INTO value_set_code (value_set, version, code, label, group_code, requires_text, sort_order)
           VALUES ($1, 1, $2, $3, $4, $5, $6)`,
          [name, code, label, group ?? null, requiresText ?? false, index + 1],
        );
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE value_set_code`);
    await q.query(`DROP TABLE value_set_version`);
  }
}
