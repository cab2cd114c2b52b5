import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pg from 'pg';
import { DataSource, In, IsNull, type EntityManager, type ObjectLiteral } from 'typeorm';
import { EntityRows, TransactionService } from '../../libs/database/src/index.js';
import {
  Complication,
  EcmoRun,
  HospitalOutcome,
  IndexOperation,
} from '../../libs/registry/src/patients/entities.js';
import { loadRecords, PatientIdentities } from '../../libs/registry/src/index.js';
import { Appointment } from '../../libs/followup/src/appointments/appointment.entity.js';
import { FollowUpAssessment } from '../../libs/followup/src/assessments/assessment.entity.js';
import { FollowUpVisit } from '../../libs/followup/src/entities.js';
import { ALIVE_ASSESSMENT } from '../support/patients.js';
import { SyntheticCohortModule } from '../../apps/cli/src/synthetic-cohort.module.js';
import { syntheticCohort } from '../../libs/registry/src/synthetic/cohort.js';
import {
  loadCohort,
  SYNTHETIC_ACTOR,
  type CohortSummary,
} from '../../libs/registry/src/synthetic/load-cohort.js';
import { connect, testConfig } from '../support/apps.js';
import { cohortInvariantProblems } from '../support/cohort-invariants.js';

// A fixed cohort, far from index 0 (other files of this Jest worker draw random test NHS numbers from the
// same range: a clash is unlikely, and the loader would skip it rather than fail).
const SEED = 20_260_401;
const OFFSET = 880_000;
const PATIENTS = 60;
const SITES = ['SYN1', 'SYN2', 'SYN3'];

/**
 * Issue 4's synthetic cohort, loaded through the registry's own services into the real database, then
 * checked through SQL: every patient synthetic, spread over the sites, declined patients kept only as a
 * count (no key row left), a plausible survival, one key row per NHS number; a rerun adds nothing.
 */
describe('synthetic cohort: loaded through the services', () => {
  let app: INestApplicationContext;
  let db: pg.Client;
  let summary: CohortSummary;
  const now = new Date();
  const generated = [...syntheticCohort(PATIENTS, { seed: SEED, now, sites: SITES.length, offset: OFFSET })];
  const progress: number[] = [];

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(SyntheticCohortModule.forRoot(testConfig()), {
      logger: false,
    });
    db = await connect('owner');
    summary = await loadCohort(
      app,
      { patients: PATIENTS, sites: SITES.length, seed: SEED, offset: OFFSET, now },
      ({ done }) => progress.push(done),
    );
  });

  afterAll(async () => {
    await db.end();
    await app.close();
  });

  const cohortPatients = async () =>
    (
      await db.query<{
        id: string;
        code: string;
        synthetic: boolean;
        declined: boolean;
        has_key: boolean;
        outcome: string | null;
      }>(
        `SELECT p.id, s.code, p.synthetic, p.counting_only_since IS NOT NULL AS declined,
                k.patient_id IS NOT NULL AS has_key, o.kind AS outcome
           FROM patient p
           JOIN site s ON s.id = p.site_id
           LEFT JOIN patient_key k ON k.patient_id = p.id
           LEFT JOIN hospital_outcome o ON o.patient_id = p.id AND o.voided_at IS NULL
          WHERE s.code = ANY($1)`,
        [SITES],
      )
    ).rows;

  it('enrols every patient, marked synthetic, with progress reported for each', async () => {
    expect(summary.patients + summary.skipped).toBe(PATIENTS);
    expect(summary.patients).toBeGreaterThanOrEqual(PATIENTS - 1);
    expect(progress).toEqual(Array.from({ length: PATIENTS }, (_, i) => i + 1));
    const rows = await cohortPatients();
    expect(rows).toHaveLength(summary.patients);
    expect(rows.every((r) => r.synthetic)).toBe(true);
    const { rows: audit } = await db.query<{ n: number }>(
      `SELECT count(DISTINCT entity_id)::int AS n FROM audit_event WHERE actor = $1 AND entity_type = 'patient'`,
      [SYNTHETIC_ACTOR],
    );
    expect(audit[0].n).toBeGreaterThanOrEqual(summary.patients);
  });

  it('spreads the patients over the three synthetic sites', async () => {
    const rows = await cohortPatients();
    expect(summary.sites.map((s) => s.code)).toEqual(SITES);
    for (const code of SITES) expect(rows.filter((r) => r.code === code).length).toBeGreaterThan(5);
  });

  it('keeps declined patients only as a count: no key row, so no identity to open or match', async () => {
    const rows = await cohortPatients();
    const declined = rows.filter((r) => r.declined);
    expect(generated.filter((p) => p.facts.declinedBy).length).toBeGreaterThanOrEqual(2); // this seed's cohort
    expect(declined.length).toBe(summary.declines);
    expect(declined.length).toBeGreaterThanOrEqual(2);
    expect(declined.every((r) => !r.has_key)).toBe(true);
    expect(rows.filter((r) => !r.declined).every((r) => r.has_key)).toBe(true);
  });

  it('gives a plausible survival to discharge among the patients not declined', async () => {
    const followed = (await cohortPatients()).filter((r) => !r.declined);
    expect(followed.every((r) => r.outcome === 'discharge' || r.outcome === 'death')).toBe(true);
    const survival = followed.filter((r) => r.outcome === 'discharge').length / followed.length;
    expect(survival).toBeGreaterThan(0.15);
    expect(survival).toBeLessThan(0.65);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM complication c JOIN patient p ON p.id = c.patient_id
         JOIN site s ON s.id = p.site_id WHERE s.code = ANY($1)`,
      [SITES],
    );
    expect(rows[0].n).toBe(summary.complications);
  });

  it('stores one key row per NHS number, each of the generated numbers of the patients followed', async () => {
    const { rows } = await db.query<{ hash: Buffer }>(
      `SELECT k.nhs_number_hash AS hash FROM patient_key k JOIN patient p ON p.id = k.patient_id
         JOIN site s ON s.id = p.site_id WHERE s.code = ANY($1)`,
      [SITES],
    );
    const hashes = rows.map((r) => r.hash.toString('hex'));
    expect(new Set(hashes).size).toBe(hashes.length);
    const identities = app.get(PatientIdentities);
    const expected = generated
      .filter((p) => !p.facts.declinedBy)
      .map((p) => identities.nhsNumberHash(p.enrolment.identity.nhsNumber).toString('hex'));
    // Every stored hash is one of the cohort's numbers (a number another test file drew first is skipped).
    expect(hashes.every((h) => expected.includes(h))).toBe(true);
    expect(hashes.length).toBe(summary.patients - summary.declines);
  });

  it('adds nothing when run again with the same seed (declined patients included)', async () => {
    const again = await loadCohort(app, {
      patients: PATIENTS,
      sites: SITES.length,
      seed: SEED,
      offset: OFFSET,
      now,
    });
    expect(again).toMatchObject({ patients: 0, skipped: PATIENTS });
    expect(again.sites.every((s) => !s.created)).toBe(true);
    expect(await cohortPatients()).toHaveLength(summary.patients);
  });

  it('satisfies the cohort invariants the bulk generator is held to (test/support/cohort-invariants.ts)', async () => {
    expect(await cohortInvariantProblems(db, { siteCodes: SITES, now, config: testConfig() })).toEqual([]);
  });

  describe('hand-written SQL hydrates as TypeORM does (EntityRows, the hot paths of issue 7)', () => {
    const byId = (a: ObjectLiteral, b: ObjectLiteral) => String(a.id).localeCompare(String(b.id));
    let em: EntityManager;
    let ids: string[];

    beforeAll(async () => {
      em = app.get(DataSource).manager;
      ids = (await cohortPatients()).map((p) => p.id);
    });

    it('reads every table of a patient, as pg rows and as JSON, into the entities find() returns', async () => {
      const compared: Record<string, number> = {};
      for (const metadata of app.get(DataSource).entityMetadatas) {
        const key =
          metadata.tableName === 'patient'
            ? 'id'
            : metadata.findColumnWithDatabaseName('patient_id')?.databaseName;
        if (!key) continue;
        const property = metadata.findColumnWithDatabaseName(key)!.propertyName;
        const expected = (await em.find(metadata.target, { where: { [property]: In(ids) } })).sort(byId);
        const rows = EntityRows.of<ObjectLiteral>(em, metadata.target);
        const raw = await rows.query(
          em,
          `SELECT ${rows.select('t')} FROM ${rows.table} t WHERE t.${key} = ANY($1)`,
          [ids],
        );
        expect({ table: metadata.tableName, rows: raw.sort(byId) }).toStrictEqual({
          table: metadata.tableName,
          rows: expected,
        });
        if (!metadata.columns.some((c) => c.type === 'bytea')) {
          const json = await em.query<{ j: Record<string, unknown> }[]>(
            `SELECT row_to_json(t) AS j FROM ${rows.table} t WHERE t.${key} = ANY($1)`,
            [ids],
          );
          expect({
            table: metadata.tableName,
            rows: json.map((r) => rows.fromJson(r.j)).sort(byId),
          }).toStrictEqual({ table: metadata.tableName, rows: expected });
        }
        compared[metadata.tableName] = expected.length;
      }
      // Not vacuous: the cohort fills the tables the hot paths read (numerics, dates, instants, JSON).
      for (const table of [
        'patient',
        'index_operation',
        'ecmo_run',
        'complication',
        'hospital_outcome',
        'consent_event',
        'follow_up_visit',
      ]) {
        expect({ table, filled: (compared[table] ?? 0) > 0 }).toEqual({ table, filled: true });
      }
    });

    it('inserts as em.insert does (the same row, defaults, ids in order); follow-up rows read as JSON too', async () => {
      const transactions = app.get(TransactionService);
      // A patient being followed up (a declined one has no visits left to book): it has a run too.
      const visit = await em.findOneOrFail(FollowUpVisit, {
        where: { patientId: In(ids) },
        order: { patientId: 'ASC', sequence: 'ASC' },
      });
      const { patientId } = visit;
      const [run] = await em.find(EcmoRun, { where: { patientId } });
      const values = {
        patientId,
        ecmoRunId: run.id,
        code: 'sepsis',
        description: 'ünïcode “quoted” text',
        onsetAt: new Date('2026-01-02T03:04:05.678Z'),
        grade: 3,
        serious: true,
        missing: { outcome: 'unknown' },
        version: 1,
      };
      const rollback = new Error('rollback');
      const outcome = await transactions
        .run({ actor: 'test:entity-rows' }, async (tx) => {
          // (em.insert writes the generated id into the object it is given: a copy.)
          const { identifiers } = await tx.insert(Complication, { ...values });
          const [ours] = await EntityRows.of(tx, Complication).insert(tx, [values]);
          // Rows that set different columns: one statement each, ids in the order given.
          const mixed = await EntityRows.of(tx, Complication).insert(tx, [
            { ...values, description: 'first' },
            { patientId, code: 'bleeding_other', onsetAt: values.onsetAt, version: 1 },
            { ...values, description: 'third' },
          ]);
          const read = async (id: string) => tx.findOneByOrFail(Complication, { id });
          const theirs = await read(identifiers[0].id as string);
          const mine = await read(ours);
          const strip = ({ id: _id, createdAt: _c, updatedAt: _u, ...rest }: Complication) => rest;
          expect(strip(mine)).toStrictEqual(strip(theirs));
          const inOrder = await Promise.all(mixed.map(read));
          expect(inOrder.map((c) => c.description)).toEqual(['first', null, 'third']);
          // Left out: the column's default, as em.insert leaves it.
          expect(inOrder[1]).toMatchObject({ ecmoRunId: null, missing: {}, voidedAt: null });

          // The follow-up tables settle reads as JSON with the records (SharedRead), which the cohort
          // leaves empty: a booked appointment and an assessment, read both ways.
          await EntityRows.of(tx, Appointment).insert(tx, [
            {
              patientId,
              visitId: visit.id,
              localDate: '2027-03-28',
              localTime: '09:30',
              zone: 'Europe/London',
              startsAt: new Date('2027-03-28T08:30:00Z'),
              mode: 'clinic',
              place: null,
              status: 'booked',
              cancelReason: null,
              version: 1,
            },
          ]);
          await EntityRows.of(tx, FollowUpAssessment).insert(tx, [
            {
              ...ALIVE_ASSESSMENT,
              patientId,
              visitId: visit.id,
              assessedOn: '2026-02-28',
              missing: {},
              version: 1,
            },
          ] as Partial<FollowUpAssessment>[]);
          for (const target of [Appointment, FollowUpAssessment] as const) {
            const rows = EntityRows.of<ObjectLiteral>(tx, target);
            const json = await tx.query<{ j: Record<string, unknown> }[]>(
              `SELECT row_to_json(t) AS j FROM ${rows.table} t WHERE t.patient_id = $1`,
              [patientId],
            );
            expect(json).toHaveLength(1);
            expect(json.map((r) => rows.fromJson(r.j))).toStrictEqual(
              await tx.find<ObjectLiteral>(target, { where: { patientId } }),
            );
          }
          throw rollback;
        })
        .catch((error: unknown) => error);
      expect(outcome).toBe(rollback);
    });

    it('loadRecords (one statement) returns the live records the four finds returned', async () => {
      for (const patientId of ids) {
        const live = { patientId, voidedAt: IsNull() };
        const expected = {
          operation: await em.findOneBy(IndexOperation, live),
          runs: await em.find(EcmoRun, { where: live, order: { startedAt: 'ASC', id: 'ASC' } }),
          complications: await em.find(Complication, { where: live, order: { onsetAt: 'ASC', id: 'ASC' } }),
          outcome: await em.findOneBy(HospitalOutcome, live),
        };
        expect(await loadRecords(em, patientId)).toStrictEqual(expected);
      }
    });
  });
});
