import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { SyntheticCohortModule } from '../../apps/cli/src/synthetic-cohort.module.js';
import { BULK_ACTOR, BULK_TABLES, generateBulk, type BulkSummary } from '../../bench/bulk/generate.js';
import { AuditService } from '../../libs/audit/src/audit.service.js';
import { applyAuditContext } from '../../libs/database/src/transaction.service.js';
import { FollowUpPlanner } from '../../libs/followup/src/index.js';
import { PatientIdentities } from '../../libs/registry/src/index.js';
import { londonDay } from '../../libs/time/src/instant.js';
import {
  parseSyntheticNote,
  syntheticPatient,
  type CohortStep,
} from '../../libs/registry/src/synthetic/cohort.js';
import { loadCohort } from '../../libs/registry/src/synthetic/load-cohort.js';
import {
  bearer,
  createAdminWithCli,
  createUser,
  onboard,
  uniqueEmail,
  type SignedIn,
} from '../support/access.js';
import { connect, startApi, testConfig } from '../support/apps.js';
import { cohortInvariantProblems } from '../support/cohort-invariants.js';
import { ALIVE_ASSESSMENT } from '../support/patients.js';
import { usePrivateDatabase } from '../support/private-database.js';

const SEED = 20_260_502;
const OFFSET = 870_000;
const DAY = 86_400_000;
/** The rules' clock of the whole file; the cohort's own `now` is earlier, so follow-up is under way. */
const NOW = new Date();
/** Operations 300 to 930 days before NOW: visits completed, due, still to come and no longer required. */
const COHORT_NOW = new Date(NOW.getTime() - 200 * DAY);

/** A cohort's rows per patient (by synthetic index), without what differs between two loads of it. */
async function snapshot(db: pg.Client, siteCodes: string[], identities: PatientIdentities) {
  const { rows: patients } = await db.query<{ id: string; site: string; row: Record<string, unknown> }>(
    `SELECT p.id, s.code AS site,
            to_jsonb(p) - ARRAY['id', 'site_id', 'enrolment_site_id', 'registry_number', 'registry_id',
                                'created_at', 'updated_at'] AS row
       FROM patient p JOIN site s ON s.id = p.site_id WHERE s.code = ANY($1)`,
    [siteCodes],
  );
  const ids = patients.map((p) => p.id);
  const strip = `ARRAY['id', 'patient_id', 'created_at', 'updated_at', 'ecmo_run_id', 'visit_id']`;
  const table = async (name: string, also = '') =>
    (
      await db.query<{ patient_id: string; row: Record<string, unknown> }>(
        `SELECT patient_id, to_jsonb(t) - ${strip} ${also} AS row FROM ${name} t WHERE patient_id = ANY($1)`,
        [ids],
      )
    ).rows;
  const tables = {
    consent: await table('consent_event'),
    operation: await table('index_operation'),
    run: await table('ecmo_run'),
    complication: await table('complication'),
    outcome: await table('hospital_outcome'),
    // The planner bumps a visit's version on every write, the services write it more than once.
    visit: await table('follow_up_visit', `- 'version'`),
  };
  const { rows: keys } = await db.query<{ patient_id: string; key_id: string; wrapped_key: string }>(
    `SELECT k.patient_id, k.key_id, k.wrapped_key, encode(k.nhs_number_hash, 'hex') AS nhs,
            encode(k.name_dob_hash, 'hex') AS name_dob, to_jsonb(i) - ARRAY['id', 'created_at', 'updated_at'] AS sealed
       FROM patient_key k JOIN patient_identity i ON i.id = k.patient_id WHERE k.patient_id = ANY($1)`,
    [ids],
  );
  const { rows: audit } = await db.query<{ entity_type: string; action: string; n: number }>(
    `SELECT entity_type, action, count(*)::int AS n FROM audit_event
      WHERE (entity_type = 'patient_key' OR action = 'insert')
        AND (entity_id = ANY($1::text[]) OR entity_id IN (
             SELECT id::text FROM consent_event WHERE patient_id = ANY($2::uuid[]) UNION ALL
             SELECT id::text FROM index_operation WHERE patient_id = ANY($2::uuid[]) UNION ALL
             SELECT id::text FROM ecmo_run WHERE patient_id = ANY($2::uuid[]) UNION ALL
             SELECT id::text FROM complication WHERE patient_id = ANY($2::uuid[]) UNION ALL
             SELECT id::text FROM hospital_outcome WHERE patient_id = ANY($2::uuid[]) UNION ALL
             SELECT id::text FROM follow_up_visit WHERE patient_id = ANY($2::uuid[])))
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [ids, ids],
  );
  const sorted = (rows: Array<{ patient_id: string; row: Record<string, unknown> }>, id: string) =>
    rows
      .filter((r) => r.patient_id === id)
      .map((r) => JSON.stringify(r.row))
      .sort();
  const byIndex: Record<number, unknown> = {};
  for (const p of patients) {
    const enrolment = tables.consent.find(
      (c) => c.patient_id === p.id && c.row.kind === 'emergency_enrolment',
    );
    const index = parseSyntheticNote(enrolment!.row.note as string)!.index;
    const key = keys.find((k) => k.patient_id === p.id) as
      | ((typeof keys)[number] & { nhs: string; name_dob: string; sealed: Record<string, string | null> })
      | undefined;
    let identity: Record<string, unknown> | null = null;
    if (key) {
      const dataKey = identities.keyring.unwrap({ keyId: key.key_id, wrapped: key.wrapped_key }, p.id);
      identity = Object.fromEntries(
        Object.entries(key.sealed).map(([column, value]) => {
          const field = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
          const sealedField = ['reminderChannel', 'version'].includes(field);
          return [
            field,
            value === null || sealedField ? value : identities.keyring.open(dataKey, p.id, field, value),
          ];
        }),
      );
      identity.hashes = [key.nhs, key.name_dob];
    }
    byIndex[index] = {
      site: p.site,
      patient: p.row,
      identity,
      ...Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, sorted(rows, p.id)])),
    };
  }
  return { byIndex, audit };
}

/**
 * The bulk generator (issue 7's benchmark data, `bench/bulk/generate.ts`) is faithful to the services:
 * (0) the same synthetic patients loaded through the services and by COPY give the same rows; (1) a bulk
 * sample satisfies every invariant of a cohort the services wrote; (2) the api reads and extends what it
 * wrote; (3) the real planner, replanning every patient, changes nothing.
 */
describe('bulk generator: COPY-loaded cohorts as the services would write them', () => {
  describe('the same patients through the services and in bulk', () => {
    const PATIENTS = 40;
    const SITES = ['SYN1', 'SYN2', 'SYN3'];

    it('gives the same rows, identities, visits and audit inserts', async () => {
      const identities = new PatientIdentities(testConfig(), new AuditService());
      const services = await usePrivateDatabase('bulksvc');
      let viaServices: Awaited<ReturnType<typeof snapshot>>;
      try {
        const app = await NestFactory.createApplicationContext(SyntheticCohortModule.forRoot(testConfig()), {
          logger: false,
        });
        const db = await connect('owner');
        try {
          const loaded = await loadCohort(app, {
            patients: PATIENTS,
            sites: 3,
            seed: SEED,
            offset: OFFSET,
            now: COHORT_NOW,
          });
          expect(loaded.patients).toBe(PATIENTS);
          viaServices = await snapshot(db, SITES, identities);
        } finally {
          await db.end();
          await app.close();
        }
      } finally {
        await services.release();
      }

      const bulk = await usePrivateDatabase('bulkcmp');
      try {
        // What the services leave: visits only (the services were given no assessment), on the real clock.
        const summary = await generateBulk(bulk.ownerUrl, testConfig(), {
          patients: PATIENTS,
          sites: 3,
          seed: SEED,
          offset: OFFSET,
          now: new Date(),
          cohortNow: COHORT_NOW,
          assessments: false,
        });
        expect(summary.patients).toBe(PATIENTS);
        const db = await connect('owner');
        try {
          const viaBulk = await snapshot(db, SITES, identities);
          expect(Object.keys(viaBulk.byIndex)).toHaveLength(PATIENTS);
          for (const index of Object.keys(viaServices.byIndex)) {
            expect({ index, ...(viaBulk.byIndex[Number(index)] as object) }).toEqual({
              index,
              ...(viaServices.byIndex[Number(index)] as object),
            });
          }
          expect(viaBulk.audit).toEqual(viaServices.audit);
        } finally {
          await db.end();
        }
      } finally {
        await bulk.release();
      }
    }, 60_000);
  });

  describe('a 150-patient sample, with assessments', () => {
    const PATIENTS = 150;
    const SITES = ['BLK1', 'BLK2', 'BLK3'];
    let database: Awaited<ReturnType<typeof usePrivateDatabase>>;
    let db: pg.Client;
    let summary: BulkSummary;
    let app: NestFastifyApplication;
    let nurse: SignedIn;
    let patients: Array<{ id: string; registry_id: string; declined: boolean; index: number }>;

    const get = (url: string) => app.inject({ method: 'GET', url, headers: bearer(nurse.accessToken) });
    const post = (url: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url, payload, headers: bearer(nurse.accessToken) });
    const visitRows = async () =>
      (
        await db.query<Record<string, unknown>>(
          `SELECT v.*, v.due_on::text, v.opens_on::text, v.closes_on::text FROM follow_up_visit v
             JOIN patient p ON p.id = v.patient_id JOIN site s ON s.id = p.site_id
            WHERE s.code = ANY($1) ORDER BY v.id`,
          [SITES],
        )
      ).rows;

    beforeAll(async () => {
      database = await usePrivateDatabase('bulk');
      summary = await generateBulk(database.ownerUrl, testConfig(), {
        patients: PATIENTS,
        sites: 3,
        seed: SEED,
        offset: OFFSET,
        now: NOW,
        cohortNow: COHORT_NOW,
        siteCodePrefix: 'BLK',
        extendedFollowUp: 0.5,
        batchSize: 40,
      });
      db = await connect('owner');
      patients = (
        await db.query<{ id: string; registry_id: string; declined: boolean; note: string }>(
          `SELECT p.id, p.registry_id, p.counting_only_since IS NOT NULL AS declined, e.note
             FROM patient p JOIN consent_event e ON e.patient_id = p.id AND e.kind = 'emergency_enrolment'
            ORDER BY p.registry_id`,
        )
      ).rows.map((r) => ({ ...r, index: parseSyntheticNote(r.note)!.index }));
      app = await startApi();
      const email = uniqueEmail('bulk-admin');
      const admin = await onboard(app, email, await createAdminWithCli(email));
      const { rows: sites } = await db.query<{ id: string }>(`SELECT id FROM site WHERE code = ANY($1)`, [
        SITES,
      ]);
      nurse = await createUser(
        app,
        admin.accessToken,
        'research_nurse',
        sites.map((s) => s.id),
      );
    }, 60_000);

    afterAll(async () => {
      await app?.close();
      await db?.end();
      await database?.release();
    });

    it('writes every patient in batches, with rows counted as they are in the database', async () => {
      expect(summary).toMatchObject({ patients: PATIENTS, skipped: 0 });
      expect(summary.sites.map((s) => s.code)).toEqual(SITES);
      expect(patients).toHaveLength(PATIENTS);
      for (const table of BULK_TABLES.filter((t) => t !== 'audit_event')) {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, rows: rows[0].n }).toEqual({ table, rows: summary.rows[table] });
      }
      const { rows: audit } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_event WHERE actor = $1`,
        [BULK_ACTOR],
      );
      expect(audit[0].n).toBe(summary.auditRows + 3); // and the three sites' INSERT rows
      expect(summary.rows.follow_up_assessment).toBeGreaterThan(summary.discharges * 2);
      expect(summary.declines).toBeGreaterThan(0);
      expect(summary.followUpDeaths + summary.withdrawals).toBeGreaterThan(0);
    });

    it('satisfies the invariants of a cohort the services wrote', async () => {
      expect(await cohortInvariantProblems(db, { siteCodes: SITES, now: NOW, config: testConfig() })).toEqual(
        [],
      );
      // The sample exercises every state a visit of this cohort can be in.
      const { rows } = await db.query<{ state: string }>(
        `SELECT DISTINCT status || coalesce('/' || status_reason, '') AS state FROM follow_up_visit`,
      );
      expect(rows.map((r) => r.state).sort()).toEqual(
        expect.arrayContaining([
          'completed',
          'due',
          'not_required/death',
          'not_required/declined',
          'scheduled',
        ]),
      );
    });

    it('would be caught by those invariants if it wrote what the services refuse', async () => {
      await db.query('BEGIN');
      try {
        await db.query(`SELECT set_config('registry.actor', 'test:bulk-corruption', true)`);
        await db.query(
          `UPDATE follow_up_assessment SET voided_at = now(), void_reason = 'test'
            WHERE id = (SELECT min(id::text)::uuid FROM follow_up_assessment)`,
        );
        await db.query(
          `UPDATE complication SET onset_at = onset_at - interval '30 days'
            WHERE id = (SELECT min(id::text)::uuid FROM complication)`,
        );
        await db.query(
          `UPDATE patient SET consent_state = 'withdrawn'
            WHERE id = (SELECT min(id::text)::uuid FROM patient WHERE consent_state = 'consented')`,
        );
        expect(await cohortInvariantProblems(db, { siteCodes: SITES, now: NOW })).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/is completed without a live assessment$/),
            expect.stringMatching(/timeline: complication\.onsetAt is outside ECMO run 1/),
            expect.stringMatching(/consent columns .* differ from the timeline's/),
          ]),
        );
      } finally {
        await db.query('ROLLBACK');
      }
    });

    it('is left unchanged by the real planner replanning every patient', async () => {
      const before = await visitRows();
      const planner = app.get(FollowUpPlanner);
      await app.get(DataSource).transaction(async (em) => {
        await applyAuditContext(em, { actor: 'test:bulk-replan' });
        for (const p of patients) await planner.replan(em, p.id, NOW);
      });
      expect(await visitRows()).toEqual(before);
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_event WHERE actor = 'test:bulk-replan'`,
      );
      expect(rows[0].n).toBe(0);
    });

    it('is read by the api: summaries, identities and follow-up plans match what was generated', async () => {
      const visits = await visitRows();
      const { rows: assessments } = await db.query<{ id: string; visit_id: string; assessed_on: string }>(
        `SELECT id, visit_id, assessed_on::text FROM follow_up_assessment WHERE voided_at IS NULL`,
      );
      for (const p of patients) {
        const source = syntheticPatient(p.index, { seed: SEED, now: COHORT_NOW, sites: 3 });
        const summaryResponse = await get(`/patients/${p.id}`);
        expect(summaryResponse.statusCode).toBe(200);
        const body = summaryResponse.json<{
          registryId: string;
          complications: Array<{ code: string }>;
          consent: { events: Array<{ kind: string }> };
        }>();
        expect(body.registryId).toBe(p.registry_id);
        const plan = await get(`/patients/${p.id}/follow-up`);
        if (p.declined) {
          expect(body).toMatchObject({ countingOnly: true, sex: source.enrolment.sex });
          expect(plan.statusCode).toBe(409);
          continue;
        }
        const outcome = source.steps.find(
          (s): s is Extract<CohortStep, { kind: 'outcome' }> => s.kind === 'outcome',
        );
        expect(body).toMatchObject({
          synthetic: true,
          sex: source.enrolment.sex,
          eligibility: { eligible: true, failures: [] },
          operation: { operationDate: source.enrolment.operation.operationDate },
          ecmoRuns: [
            {
              startedAt: source.enrolment.ecmoRun.startedAt,
              endedAt: source.enrolment.ecmoRun.endedAt,
              endReason: source.enrolment.ecmoRun.endReason,
            },
          ],
          outcome: { kind: outcome?.body.kind, occurredAt: outcome?.body.occurredAt },
        });
        expect(body.complications.map((c) => c.code)).toEqual(
          source.steps.flatMap((s) => (s.kind === 'complication' ? [s.body.code] : [])),
        );
        expect(body.consent.events.map((e) => e.kind)).toEqual([
          'emergency_enrolment',
          ...source.steps.flatMap((s) => (s.kind === 'consent' ? [s.body.kind] : [])),
        ]);
        expect(plan.statusCode).toBe(200);
        const planned = plan.json<{
          visits: Array<{ id: string; assessment: { id: string; assessedOn: string } | null }>;
        }>().visits;
        const rows = visits.filter((v) => v.patient_id === p.id);
        expect(planned).toHaveLength(rows.length);
        for (const visit of planned) {
          const row = rows.find((r) => r.id === visit.id)!;
          expect(visit).toMatchObject({
            code: row.code,
            status: row.status,
            statusReason: row.status_reason,
            dueOn: row.due_on,
            window: { opensOn: row.opens_on, closesOn: row.closes_on },
          });
          const assessment = assessments.find((a) => a.visit_id === visit.id);
          expect(visit.assessment?.id ?? null).toBe(assessment?.id ?? null);
          if (assessment) expect(visit.assessment?.assessedOn).toBe(assessment.assessed_on);
        }
      }
      // Identities open (the read is logged) and the NHS number finds its patient through its keyed hash.
      for (const p of patients.filter((q) => !q.declined).slice(0, 5)) {
        const { identity } = syntheticPatient(p.index, { seed: SEED, now: COHORT_NOW, sites: 3 }).enrolment;
        const read = await get(`/patients/${p.id}/identity`);
        expect(read.statusCode).toBe(200);
        expect(read.json()).toMatchObject({
          nhsNumber: identity.nhsNumber,
          familyName: identity.familyName,
          dateOfBirth: identity.dateOfBirth,
          reminderChannel: identity.reminderChannel,
        });
        const search = await post('/patients/search', { nhsNumber: identity.nhsNumber });
        expect(search.json<Array<{ id: string }>>().map((r) => r.id)).toEqual([p.id]);
      }
    });

    it('takes new records on generated patients: a complication and an assessment (201)', async () => {
      // A survivor with assessments (every one of them re-checked by the change) and a visit due today.
      const { rows } = await db.query<{
        patient_id: string;
        visit_id: string;
        run_id: string;
        started_at: Date;
      }>(
        `SELECT v.patient_id, v.id AS visit_id, r.id AS run_id, r.started_at
           FROM follow_up_visit v JOIN patient p ON p.id = v.patient_id
           JOIN ecmo_run r ON r.patient_id = p.id
          WHERE v.status = 'due' AND p.data_collection_withdrawn_at IS NULL
            AND EXISTS (SELECT 1 FROM follow_up_assessment a WHERE a.patient_id = p.id)
          ORDER BY p.registry_id LIMIT 1`,
      );
      expect(rows).toHaveLength(1);
      const [{ patient_id: patientId, visit_id: visitId, run_id: runId, started_at: startedAt }] = rows;
      const complication = await post(`/patients/${patientId}/complications`, {
        ecmoRunId: runId,
        code: 'sepsis',
        onsetAt: new Date(startedAt.getTime() + 3_600_000).toISOString(),
        grade: 2,
        serious: false,
        relation: 'possibly',
        outcome: 'resolved',
      });
      expect(complication.statusCode).toBe(201);
      const assessment = await post(`/patients/${patientId}/assessments`, {
        ...ALIVE_ASSESSMENT,
        visitId,
        assessedOn: londonDay(new Date()),
      });
      expect(assessment.statusCode).toBe(201);
      const plan = (await get(`/patients/${patientId}/follow-up`)).json<{
        visits: Array<{ id: string; status: string }>;
      }>();
      expect(plan.visits.find((v) => v.id === visitId)?.status).toBe('completed');
    });
  });
});
