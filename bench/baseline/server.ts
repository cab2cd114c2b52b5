/**
 * The bare baseline of the HTTP benchmarks (issue 7): a Fastify server with the two routes measured, running
 * the statements the api runs (as the trace of its `pg` calls shows them: same tables, columns, predicates,
 * order and transaction shape) with a raw `pg.Pool` of the api's size, as the api's least-privilege role,
 * but with no authentication, guards, validation, site scoping, rate limit, logging or ORM. Started by
 * ./spawn.ts as a process of its own, pinned to the api's core.
 *
 * Environment: BASELINE_PORT, DATABASE_URL, DATABASE_POOL_SIZE.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { prepared } from '../lib/prepared.js';

const port = Number(process.env.BASELINE_PORT ?? 0);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  application_name: 'ecmo-bench-baseline',
  // The api's session settings (libs/database/src/datasource-options.ts).
  options: '-c TimeZone=UTC',
});

type Row = Record<string, unknown>;

/** snake_case columns to the camelCase keys of a JSON body. */
function camel(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) {
    out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out;
}

async function rows(text: string, values: unknown[]): Promise<Row[]> {
  return (await pool.query<Row>(prepared(text, values))).rows;
}

const RECORD = 'id, patient_id, missing, version, voided_at, void_reason, created_at, updated_at';
const PATIENT = `id, site_id, enrolment_site_id, registry_number, registry_id, sex, age_at_ecmo_start,
  mdt_decision_at, mdt_decision_by, eligibility_failures, consent_state, counting_only_since,
  contact_withdrawn_at, data_collection_withdrawn_at, export_withdrawn_at, synthetic, protocol_version,
  extended_follow_up, lost_to_follow_up_on, missing, version, created_at, updated_at`;

/**
 * The summary's statements, one pool checkout each and no transaction, as the api's `dataSource.manager`
 * runs them: the patient, its site, every record of each kind (voided ones included), then, unless the
 * patient is kept only as a count, the follow-up part (the patient again, visits, appointments,
 * assessments, reminders). The body has the summary's shape and records, without the derived facts.
 */
async function summary(patientId: string): Promise<Row | null> {
  const [patient] = await rows(`SELECT ${PATIENT} FROM patient WHERE id = $1`, [patientId]);
  if (!patient) return null;
  const [site] = await rows(
    `SELECT id, code, name, follow_up_phone, created_at, updated_at FROM site WHERE id = $1 LIMIT 1`,
    [patient.site_id],
  );
  const operations = await rows(
    `SELECT ${RECORD}, operation_date, category, category_detail, urgency, redo, bypass_minutes,
            cross_clamp_minutes, euroscore_ii
       FROM index_operation WHERE patient_id = $1 ORDER BY created_at ASC`,
    [patientId],
  );
  const runs = await rows(
    `SELECT ${RECORD}, started_at, ended_at, mode, start_location, started_for, cannulation, drainage_site,
            return_site, distal_perfusion, lv_unloading, pre_cardiac_arrest, pre_lactate, pre_vis, pre_ph,
            end_reason
       FROM ecmo_run WHERE patient_id = $1 ORDER BY started_at ASC`,
    [patientId],
  );
  const consent = await rows(
    `SELECT ${RECORD}, kind, occurred_at, independent_doctor, consultee_type, consultee_agreed,
            withdrawal_level, note
       FROM consent_event WHERE patient_id = $1 ORDER BY occurred_at ASC, created_at ASC`,
    [patientId],
  );
  const complications = await rows(
    `SELECT ${RECORD}, ecmo_run_id, code, description, onset_at, grade, serious, relation, outcome
       FROM complication WHERE patient_id = $1 ORDER BY onset_at ASC`,
    [patientId],
  );
  const outcomes = await rows(
    `SELECT ${RECORD}, kind, occurred_at, destination, cause_of_death, cause_detail
       FROM hospital_outcome WHERE patient_id = $1 ORDER BY created_at ASC`,
    [patientId],
  );
  const live = (list: Row[]) => list.filter((r) => r.voided_at === null);
  if (patient.counting_only_since !== null) {
    return {
      id: patient.id,
      registryId: patient.registry_id,
      countingOnly: true,
      countingOnlySince: patient.counting_only_since,
      site: site.code,
      sex: patient.sex,
      ecmoStart: live(runs)[0]?.started_at ?? null,
      outcome: live(outcomes)[0]?.kind ?? null,
    };
  }
  const [again] = await rows(`SELECT ${PATIENT} FROM patient WHERE id = $1 LIMIT 1`, [patientId]);
  const visits = await rows(
    `SELECT id, patient_id, protocol_version, code, label, sequence, anchor, due_on, opens_on, closes_on,
            status, status_reason, version, created_at, updated_at
       FROM follow_up_visit WHERE patient_id = $1 ORDER BY protocol_version ASC, sequence ASC`,
    [patientId],
  );
  const appointments = await rows(
    `SELECT id, patient_id, visit_id, local_date, local_time, zone, starts_at, mode, place, status,
            cancel_reason, version, created_at, updated_at
       FROM appointment WHERE patient_id = $1 ORDER BY created_at ASC`,
    [patientId],
  );
  const assessments = await rows(
    `SELECT ${RECORD}, visit_id, assessed_on, source, vital_status, died_on, cause_of_death, cause_detail,
            mrs, nyha, eq5d_mobility, eq5d_self_care, eq5d_usual_activities, eq5d_pain_discomfort,
            eq5d_anxiety_depression, eq_vas, readmissions, return_to_work
       FROM follow_up_assessment WHERE patient_id = $1 ORDER BY assessed_on ASC, created_at ASC`,
    [patientId],
  );
  const reminders = await rows(
    `SELECT id, patient_id, appointment_id, days_before, channel, due_at, status, status_reason, version,
            created_at, updated_at
       FROM reminder WHERE patient_id = $1`,
    [patientId],
  );
  return {
    ...camel(patient),
    site: { id: site.id, code: site.code, name: site.name },
    consent: { state: patient.consent_state, events: consent.map(camel) },
    operation: live(operations).map(camel)[0] ?? null,
    ecmoRuns: runs.map(camel),
    complications: complications.map(camel),
    outcome: live(outcomes).map(camel)[0] ?? null,
    voidedOperations: operations.filter((r) => r.voided_at !== null).map(camel),
    voidedOutcomes: outcomes.filter((r) => r.voided_at !== null).map(camel),
    followUp: {
      patientVersion: again.version,
      protocolVersion: again.protocol_version,
      extendedFollowUp: again.extended_follow_up,
      lostToFollowUpOn: again.lost_to_follow_up_on,
      visits: visits.map((visit) => ({
        ...camel(visit),
        assessment: assessments.find((a) => a.visit_id === visit.id && a.voided_at === null) ?? null,
        appointments: appointments
          .filter((a) => a.visit_id === visit.id)
          .map((a) => ({ ...camel(a), reminders: reminders.filter((r) => r.appointment_id === a.id) })),
      })),
      voidedAssessments: assessments.filter((a) => a.voided_at !== null).map(camel),
    },
  };
}

interface ComplicationBody {
  code: string;
  description?: string | null;
  onsetAt: string;
  ecmoRunId?: string | null;
  grade?: number | null;
  serious?: boolean | null;
  relation?: string | null;
  outcome?: string | null;
  missing?: Record<string, string>;
}

/**
 * Recording a complication as the api's transaction does it, without what the api adds around it: the audit
 * context (set_config, so the audit trigger writes its row), the patient row locked, the INSERT; the row as
 * inserted is the answer.
 */
async function recordComplication(patientId: string, body: ComplicationBody, clientAddress: string) {
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    await client.query(
      prepared(
        `SELECT set_config('registry.actor', $1, true), set_config('registry.reason', $2, true),
              set_config('registry.request_id', $3, true), set_config('registry.client_address', $4, true)`,
        ['bench:baseline', '', randomUUID(), clientAddress],
      ),
    );
    const locked = await client.query(
      prepared(`SELECT ${PATIENT} FROM patient WHERE id = $1 FOR UPDATE`, [patientId]),
    );
    if (locked.rowCount !== 1) {
      await client.query('ROLLBACK');
      return null;
    }
    const inserted = await client.query<Row>(
      prepared(
        `INSERT INTO complication (patient_id, missing, version, ecmo_run_id, code, description, onset_at, grade,
                                 serious, relation, outcome)
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${RECORD}, ecmo_run_id, code, description, onset_at, grade, serious, relation, outcome`,
        [
          patientId,
          JSON.stringify(body.missing ?? {}),
          body.ecmoRunId ?? null,
          body.code,
          body.description ?? null,
          body.onsetAt,
          body.grade ?? null,
          body.serious ?? null,
          body.relation ?? null,
          body.outcome ?? null,
        ],
      ),
    );
    await client.query('COMMIT');
    return camel(inserted.rows[0]);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const app = Fastify({ logger: false });

app.get('/health', (_request, reply) => reply.send({ status: 'ok' }));

app.get<{ Params: { patientId: string } }>('/patients/:patientId', async (request, reply) => {
  const body = await summary(request.params.patientId);
  if (body === null) return reply.code(404).send({ title: 'Patient not found' });
  void reply.header('ETag', `"${typeof body.version === 'number' ? body.version : 1}"`);
  return body;
});

app.post<{ Params: { patientId: string }; Body: ComplicationBody }>(
  '/patients/:patientId/complications',
  async (request, reply) => {
    const body = await recordComplication(request.params.patientId, request.body, request.ip);
    if (body === null) return reply.code(404).send({ title: 'Patient not found' });
    void reply.header('ETag', `"${String(body.version)}"`);
    return reply.code(201).send(body);
  },
);

const close = async (): Promise<void> => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());

await app.listen({ port, host: '127.0.0.1' });
