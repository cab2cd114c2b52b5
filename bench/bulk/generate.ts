import 'reflect-metadata';
import pg from 'pg';
import { AuditService } from '../../libs/audit/src/audit.service.js';
import type { AppConfig } from '../../libs/config/src/index.js';
import type { Patient } from '../../libs/registry/src/patients/entities.js';
import { PatientIdentities } from '../../libs/registry/src/patients/patient-identities.js';
import { londonDay } from '../../libs/time/src/instant.js';
import { SYNTHETIC_NHS_NUMBER_COUNT, syntheticNhsNumber } from '../../libs/registry/src/rules/nhs-number.js';
import { FUTURE_TOLERANCE_MS } from '../../libs/registry/src/rules/timeline.js';
import { parseSyntheticNote, syntheticNote } from '../../libs/registry/src/synthetic/cohort.js';
import { CopyBuffer, type TableSpec } from './copy-text.js';
import type { AssessmentRow, ProtocolVersion, Row, VisitRow } from './follow-up.js';
import {
  buildPatient,
  type BuildContext,
  type BuiltPatient,
  type KeyEvent,
  type PatientDraft,
} from './patient-rows.js';

/** Who the audit trail says wrote the rows (the trigger reads it for every COPYed row). */
export const BULK_ACTOR = 'cli:bulk-generator';

const DAY_MS = 86_400_000;

export interface BulkOptions {
  readonly patients: number;
  readonly sites: number;
  readonly seed: number;
  /** Index of the first patient in the synthetic sequence (and of its NHS number in the 999 range). */
  readonly offset?: number;
  /** The server's clock for the rules: visits are in their state of this London day; nothing is later. */
  readonly now: Date;
  /**
   * The synthetic cohort's `now` (its operations fall 100-730 days before it); default `now` − 730 days, so
   * operations are 2.3 to 4 years old and every required visit of a survivor has had its window.
   */
  readonly cohortNow?: Date;
  /** Sites `<prefix>1`…`<prefix><sites>` ("Synthetic site k"), created when missing; default `SYN`. */
  readonly siteCodePrefix?: string;
  /** Share (0-1) of the patients discharged alive on extended (yearly, optional) follow-up; default 0. */
  readonly extendedFollowUp?: number;
  /** Record an assessment for every visit whose window has passed (default); false: visits only. */
  readonly assessments?: boolean;
  /** Patients per transaction (every table COPYed once per batch); default 5,000. */
  readonly batchSize?: number;
}

export const BULK_TABLES = [
  'patient',
  'patient_key',
  'patient_identity',
  'consent_event',
  'index_operation',
  'ecmo_run',
  'complication',
  'hospital_outcome',
  'follow_up_visit',
  'follow_up_assessment',
  'audit_event',
] as const;
export type BulkTable = (typeof BULK_TABLES)[number];

export interface BulkSummary {
  readonly sites: ReadonlyArray<{ readonly id: string; readonly code: string; readonly created: boolean }>;
  /** Patients written by this run. */
  readonly patients: number;
  /**
   * Patients not written: those of this seed and index already in the registry (found by their enrolment
   * note), and any other whose NHS number is already registered, as `loadCohort` skips them.
   */
  readonly skipped: number;
  readonly declines: number;
  readonly hospitalDeaths: number;
  readonly discharges: number;
  readonly followUpDeaths: number;
  readonly withdrawals: number;
  readonly extendedFollowUp: number;
  /** Rows COPYed per table (`audit_event`: the key events only; the trigger adds one per audited row). */
  readonly rows: Readonly<Record<BulkTable, number>>;
  /** Audit rows this run added: the trigger's INSERT row for each audited row, and the key events. */
  readonly auditRows: number;
  readonly seconds: number;
}

type FullPatient = Row<Patient>;

const record = <R extends { id: string; patientId: string; missing: object; version: number }>(
  columns: TableSpec<R>['columns'],
): TableSpec<R>['columns'] => [
  ['id', (r) => r.id],
  ['patient_id', (r) => r.patientId],
  ...columns,
  ['missing', (r) => r.missing],
  ['version', (r) => r.version],
];

const PATIENT: TableSpec<FullPatient> = {
  table: 'patient',
  columns: [
    ['id', (r) => r.id],
    ['site_id', (r) => r.siteId],
    ['enrolment_site_id', (r) => r.enrolmentSiteId],
    ['registry_number', (r) => r.registryNumber],
    ['registry_id', (r) => r.registryId],
    ['sex', (r) => r.sex],
    ['age_at_ecmo_start', (r) => r.ageAtEcmoStart],
    ['mdt_decision_at', (r) => r.mdtDecisionAt],
    ['mdt_decision_by', (r) => r.mdtDecisionBy],
    ['eligibility_failures', (r) => r.eligibilityFailures],
    ['consent_state', (r) => r.consentState],
    ['counting_only_since', (r) => r.countingOnlySince],
    ['contact_withdrawn_at', (r) => r.contactWithdrawnAt],
    ['data_collection_withdrawn_at', (r) => r.dataCollectionWithdrawnAt],
    ['export_withdrawn_at', (r) => r.exportWithdrawnAt],
    ['synthetic', (r) => r.synthetic],
    ['protocol_version', (r) => r.protocolVersion],
    ['extended_follow_up', (r) => r.extendedFollowUp],
    ['lost_to_follow_up_on', (r) => r.lostToFollowUpOn],
    ['missing', (r) => r.missing],
    ['version', (r) => r.version],
  ],
};

const PATIENT_KEY: TableSpec<NonNullable<BuiltPatient['key']>> = {
  table: 'patient_key',
  columns: [
    ['patient_id', (r) => r.patientId],
    ['key_id', (r) => r.keyId],
    ['wrapped_key', (r) => r.wrappedKey],
    ['nhs_number_hash', (r) => r.nhsNumberHash],
    ['name_dob_hash', (r) => r.nameDobHash],
    ['rotated_at', (r) => r.rotatedAt],
  ],
};

const PATIENT_IDENTITY: TableSpec<BuiltPatient['identity']> = {
  table: 'patient_identity',
  columns: [
    ['id', (r) => r.id],
    ['nhs_number', (r) => r.nhsNumber],
    ['family_name', (r) => r.familyName],
    ['given_name', (r) => r.givenName],
    ['date_of_birth', (r) => r.dateOfBirth],
    ['phone', (r) => r.phone],
    ['email', (r) => r.email],
    ['address', (r) => r.address],
    ['reminder_channel', (r) => r.reminderChannel],
    ['version', (r) => r.version],
  ],
};

const CONSENT_EVENT: TableSpec<BuiltPatient['consentEvents'][number]> = {
  table: 'consent_event',
  columns: record([
    ['kind', (r) => r.kind],
    ['occurred_at', (r) => r.occurredAt],
    ['independent_doctor', (r) => r.independentDoctor],
    ['consultee_type', (r) => r.consulteeType],
    ['consultee_agreed', (r) => r.consulteeAgreed],
    ['withdrawal_level', (r) => r.withdrawalLevel],
    ['note', (r) => r.note],
  ]),
};

const INDEX_OPERATION: TableSpec<BuiltPatient['operation']> = {
  table: 'index_operation',
  columns: record([
    ['operation_date', (r) => r.operationDate],
    ['category', (r) => r.category],
    ['category_detail', (r) => r.categoryDetail],
    ['urgency', (r) => r.urgency],
    ['redo', (r) => r.redo],
    ['bypass_minutes', (r) => r.bypassMinutes],
    ['cross_clamp_minutes', (r) => r.crossClampMinutes],
    ['euroscore_ii', (r) => r.euroscoreIi],
  ]),
};

const ECMO_RUN: TableSpec<BuiltPatient['run']> = {
  table: 'ecmo_run',
  columns: record([
    ['started_at', (r) => r.startedAt],
    ['ended_at', (r) => r.endedAt],
    ['mode', (r) => r.mode],
    ['start_location', (r) => r.startLocation],
    ['started_for', (r) => r.startedFor],
    ['cannulation', (r) => r.cannulation],
    ['drainage_site', (r) => r.drainageSite],
    ['return_site', (r) => r.returnSite],
    ['distal_perfusion', (r) => r.distalPerfusion],
    ['lv_unloading', (r) => r.lvUnloading],
    ['pre_cardiac_arrest', (r) => r.preCardiacArrest],
    ['pre_lactate', (r) => r.preLactate],
    ['pre_vis', (r) => r.preVis],
    ['pre_ph', (r) => r.prePh],
    ['end_reason', (r) => r.endReason],
  ]),
};

const COMPLICATION: TableSpec<BuiltPatient['complications'][number]> = {
  table: 'complication',
  columns: record([
    ['ecmo_run_id', (r) => r.ecmoRunId],
    ['code', (r) => r.code],
    ['description', (r) => r.description],
    ['onset_at', (r) => r.onsetAt],
    ['grade', (r) => r.grade],
    ['serious', (r) => r.serious],
    ['relation', (r) => r.relation],
    ['outcome', (r) => r.outcome],
  ]),
};

const HOSPITAL_OUTCOME: TableSpec<NonNullable<BuiltPatient['outcome']>> = {
  table: 'hospital_outcome',
  columns: record([
    ['kind', (r) => r.kind],
    ['occurred_at', (r) => r.occurredAt],
    ['destination', (r) => r.destination],
    ['cause_of_death', (r) => r.causeOfDeath],
    ['cause_detail', (r) => r.causeDetail],
  ]),
};

const FOLLOW_UP_VISIT: TableSpec<VisitRow> = {
  table: 'follow_up_visit',
  columns: [
    ['id', (r) => r.id],
    ['patient_id', (r) => r.patientId],
    ['protocol_version', (r) => r.protocolVersion],
    ['code', (r) => r.code],
    ['label', (r) => r.label],
    ['sequence', (r) => r.sequence],
    ['anchor', (r) => r.anchor],
    ['due_on', (r) => r.dueOn],
    ['opens_on', (r) => r.opensOn],
    ['closes_on', (r) => r.closesOn],
    ['status', (r) => r.status],
    ['status_reason', (r) => r.statusReason],
    ['version', (r) => r.version],
  ],
};

const FOLLOW_UP_ASSESSMENT: TableSpec<AssessmentRow> = {
  table: 'follow_up_assessment',
  columns: record([
    ['visit_id', (r) => r.visitId],
    ['assessed_on', (r) => r.assessedOn],
    ['source', (r) => r.source],
    ['vital_status', (r) => r.vitalStatus],
    ['died_on', (r) => r.diedOn],
    ['cause_of_death', (r) => r.causeOfDeath],
    ['cause_detail', (r) => r.causeDetail],
    ['mrs', (r) => r.mrs],
    ['nyha', (r) => r.nyha],
    ['eq5d_mobility', (r) => r.eq5dMobility],
    ['eq5d_self_care', (r) => r.eq5dSelfCare],
    ['eq5d_usual_activities', (r) => r.eq5dUsualActivities],
    ['eq5d_pain_discomfort', (r) => r.eq5dPainDiscomfort],
    ['eq5d_anxiety_depression', (r) => r.eq5dAnxietyDepression],
    ['eq_vas', (r) => r.eqVas],
    ['readmissions', (r) => r.readmissions],
    ['return_to_work', (r) => r.returnToWork],
  ]),
};

/** The events `PatientIdentities` records about keys, as `AuditService.record` writes them. */
const KEY_EVENT: TableSpec<KeyEvent & { requestId: string }> = {
  table: 'audit_event',
  columns: [
    ['actor', () => BULK_ACTOR],
    ['action', (r) => r.action],
    ['entity_type', () => 'patient_key'],
    ['entity_id', (r) => r.patientId],
    ['new_values', (r) => ({ keyId: r.keyId })],
    ['reason', () => null],
    ['request_id', (r) => r.requestId],
    ['client_address', () => null],
  ],
};

function wholeNumber(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of at least ${min}, got ${value}`);
  }
}

/**
 * Loads `patients` synthetic patients (the seeded cohort of issue 4, follow-up added) straight into the
 * database with COPY FROM STDIN, for benchmarks that need 10^5 patients and 10^6 assessments: the rows
 * `loadCohort` would leave through the services (see `buildPatient`), `batchSize` patients per transaction,
 * every table COPYed once per batch, ids made in Node so that foreign keys need no round trip. The owner
 * connection sets `registry.actor` (`cli:bulk-generator`) for the session, so the audit trigger writes its
 * INSERT row for every COPYed row, as for any other write; the request id names the batch.
 *
 * Sites `<prefix>1..<prefix><sites>` are created when missing; registry numbers continue each site's,
 * allocated under a lock on the site rows as enrolment does. Patients of this seed already loaded, and NHS
 * numbers already registered, are skipped (a rerun adds nothing twice). Memory stays flat: one batch of
 * rows is held at a time, as encoded COPY lines.
 */
export async function generateBulk(
  ownerUrl: string,
  config: AppConfig,
  options: BulkOptions,
  progress: (done: number) => void = () => {},
): Promise<BulkSummary> {
  const offset = options.offset ?? 0;
  const batchSize = options.batchSize ?? 5000;
  const prefix = options.siteCodePrefix ?? 'SYN';
  const extended = options.extendedFollowUp ?? 0;
  wholeNumber('patients', options.patients, 0);
  wholeNumber('sites', options.sites, 1);
  wholeNumber('offset', offset, 0);
  wholeNumber('batchSize', batchSize, 1);
  wholeNumber('seed', options.seed, 0);
  if (offset + options.patients > SYNTHETIC_NHS_NUMBER_COUNT) {
    throw new RangeError(
      `offset + patients must not exceed ${SYNTHETIC_NHS_NUMBER_COUNT} (the 999 test range)`,
    );
  }
  if (!/^[A-Z][A-Z0-9]*$/.test(prefix) || `${prefix}${options.sites}`.length > 10) {
    throw new RangeError(
      `siteCodePrefix must be capitals and digits, a letter first, codes up to 10 long: ${prefix}`,
    );
  }
  if (!(extended >= 0 && extended <= 1))
    throw new RangeError(`extendedFollowUp must be from 0 to 1, got ${extended}`);
  const now = options.now;
  if (Number.isNaN(now.getTime()) || now.getTime() > Date.now() + FUTURE_TOLERANCE_MS) {
    throw new RangeError(
      'now must be a valid instant, not in the future (the services refuse future records)',
    );
  }
  const cohortNow = options.cohortNow ?? new Date(now.getTime() - 730 * DAY_MS);
  if (Number.isNaN(cohortNow.getTime()) || cohortNow > now)
    throw new RangeError('cohortNow must not be after now');

  const started = performance.now();
  const identities = new PatientIdentities(config, new AuditService());
  // One connection writes (a batch's COPYs in one transaction); the other reads ahead for the next batch.
  const client = new pg.Client({ connectionString: ownerUrl });
  const lookup = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await lookup.connect();
    await client.query(`SELECT set_config('registry.actor', $1, false)`, [BULK_ACTOR]);
    const sites = await ensureSites(client, prefix, options.sites);
    const protocol = await latestProtocol(client);
    const loaded = await loadedIndexes(client, options.seed);
    const ctx: BuildContext = {
      seed: options.seed,
      sites: options.sites,
      cohortNow,
      now,
      today: londonDay(now),
      protocol,
      identities,
      extendedFollowUp: extended,
      assess: options.assessments ?? true,
    };
    const rows = Object.fromEntries(BULK_TABLES.map((t) => [t, 0])) as Record<BulkTable, number>;
    const counts: Counts = {
      patients: 0,
      skipped: 0,
      declines: 0,
      hospitalDeaths: 0,
      discharges: 0,
      followUpDeaths: 0,
      withdrawals: 0,
      extendedFollowUp: 0,
    };

    // A pipeline of two: batch k+1 is generated (yielding now and then, so that the socket keeps feeding
    // the server) while the server is still inserting batch k, the trigger's audit rows included.
    let writing: Promise<void> = Promise.resolve();
    for (let first = offset; first < offset + options.patients; first += batchSize) {
      const last = Math.min(first + batchSize, offset + options.patients) - 1;
      const batch = await prepareBatch(lookup, ctx, loaded, first, last, counts);
      await writing;
      writing = writeBatch(client, batch, sites, rows).then(() => progress(last - offset + 1));
      // Awaited at the next turn or after the loop; a failure meanwhile must not count as unhandled.
      writing.catch(() => undefined);
    }
    await writing;
    const audited = BULK_TABLES.filter((t) => t !== 'patient_key' && t !== 'audit_event');
    return {
      sites,
      ...counts,
      rows,
      auditRows: audited.reduce((sum, t) => sum + rows[t], 0) + rows.audit_event,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await lookup.end().catch(() => undefined);
    await client.end();
  }
}

type Counts = {
  -readonly [K in Exclude<keyof BulkSummary, 'sites' | 'rows' | 'auditRows' | 'seconds'>]: number;
};

type Site = { readonly id: string; readonly code: string };

/** One batch, generated: the patient rows wait for their registry numbers, every other table is encoded. */
interface PreparedBatch {
  readonly requestId: string;
  readonly patients: Array<{ readonly draft: PatientDraft; readonly siteIndex: number }>;
  readonly buffers: { readonly [T in Exclude<BulkTable, 'patient'>]: CopyBuffer<never> };
}

/** Patients generated between two yields to the event loop (a few milliseconds of work). */
const YIELD_EVERY = 200;

async function prepareBatch(
  lookup: pg.Client,
  ctx: BuildContext,
  loaded: ReadonlySet<number>,
  first: number,
  last: number,
  counts: Counts,
): Promise<PreparedBatch> {
  const requestId = `bulk-generator:${ctx.seed >>> 0}:${first}-${last}`;
  const indexes: number[] = [];
  for (let index = first; index <= last; index++) {
    if (loaded.has(index)) counts.skipped++;
    else indexes.push(index);
  }
  const hashes = indexes.map((index) => ctx.identities.nhsNumberHash(syntheticNhsNumber(index)));
  const taken = await registeredHashes(lookup, hashes);
  const buffers = {
    patient_key: new CopyBuffer(PATIENT_KEY),
    patient_identity: new CopyBuffer(PATIENT_IDENTITY),
    consent_event: new CopyBuffer(CONSENT_EVENT),
    index_operation: new CopyBuffer(INDEX_OPERATION),
    ecmo_run: new CopyBuffer(ECMO_RUN),
    complication: new CopyBuffer(COMPLICATION),
    hospital_outcome: new CopyBuffer(HOSPITAL_OUTCOME),
    follow_up_visit: new CopyBuffer(FOLLOW_UP_VISIT),
    follow_up_assessment: new CopyBuffer(FOLLOW_UP_ASSESSMENT),
    audit_event: new CopyBuffer(KEY_EVENT),
  };
  const patients: PreparedBatch['patients'] = [];
  for (const [n, index] of indexes.entries()) {
    if (n > 0 && n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    if (taken.has(hashes[n].toString('hex'))) {
      counts.skipped++;
      continue;
    }
    const built = buildPatient(index, ctx);
    patients.push({ draft: built.patient, siteIndex: built.siteIndex });
    if (built.key) buffers.patient_key.add(built.key);
    buffers.patient_identity.add(built.identity);
    for (const row of built.consentEvents) buffers.consent_event.add(row);
    buffers.index_operation.add(built.operation);
    buffers.ecmo_run.add(built.run);
    for (const row of built.complications) buffers.complication.add(row);
    if (built.outcome) buffers.hospital_outcome.add(built.outcome);
    for (const row of built.visits) buffers.follow_up_visit.add(row);
    for (const row of built.assessments) buffers.follow_up_assessment.add(row);
    for (const event of built.keyEvents) buffers.audit_event.add({ ...event, requestId });
    tally(counts, built);
  }
  return { requestId, patients, buffers };
}

/**
 * One transaction: the site rows locked and their last registry numbers read (as enrolment does), the
 * patients numbered in index order per site, then every table COPYed, parents first.
 */
async function writeBatch(
  client: pg.Client,
  batch: PreparedBatch,
  sites: readonly Site[],
  rows: Record<BulkTable, number>,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('registry.request_id', $1, true)`, [batch.requestId]);
    const numbers = await lockSites(client, sites);
    const patients = new CopyBuffer(PATIENT);
    for (const { draft, siteIndex } of batch.patients) {
      const site = sites[siteIndex];
      const registryNumber = (numbers.get(site.id) ?? 0) + 1;
      numbers.set(site.id, registryNumber);
      patients.add({
        ...draft,
        siteId: site.id,
        enrolmentSiteId: site.id,
        registryNumber,
        registryId: `${site.code}-${String(registryNumber).padStart(4, '0')}`,
      });
    }
    rows.patient += await patients.copy(client);
    for (const table of BULK_TABLES) {
      if (table !== 'patient') rows[table] += await batch.buffers[table].copy(client);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function tally(counts: Counts, built: BuiltPatient): void {
  counts.patients++;
  if (built.patient.countingOnlySince) counts.declines++;
  if (built.outcome?.kind === 'death') counts.hospitalDeaths++;
  if (built.outcome?.kind === 'discharge') counts.discharges++;
  if (built.followUpDeathOn) counts.followUpDeaths++;
  if (built.source.facts.withdrawalLevels.length > 0) counts.withdrawals++;
  if (built.patient.extendedFollowUp) counts.extendedFollowUp++;
}

/** Sites `<prefix>1..<prefix><count>`, "Synthetic site k", inserted (audited) when missing. */
async function ensureSites(
  client: pg.Client,
  prefix: string,
  count: number,
): Promise<Array<{ id: string; code: string; created: boolean }>> {
  const wanted = Array.from({ length: count }, (_, k) => ({
    code: `${prefix}${k + 1}`,
    name: `Synthetic site ${k + 1}`,
  }));
  const { rows } = await client.query<{ id: string; code: string }>(
    `SELECT id, code FROM site WHERE code = ANY($1)`,
    [wanted.map((w) => w.code)],
  );
  const result: Array<{ id: string; code: string; created: boolean }> = [];
  for (const site of wanted) {
    const found = rows.find((r) => r.code === site.code);
    if (found) {
      result.push({ ...found, created: false });
      continue;
    }
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO site (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [site.code, site.name],
    );
    const id =
      inserted.rows[0]?.id ??
      (await client.query<{ id: string }>(`SELECT id FROM site WHERE code = $1`, [site.code])).rows[0].id;
    result.push({ id, code: site.code, created: inserted.rows.length > 0 });
  }
  return result;
}

/** The latest published protocol: the one the planner puts a newly enrolled patient on. */
async function latestProtocol(client: pg.Client): Promise<ProtocolVersion> {
  const { rows } = await client.query<ProtocolVersion>(
    `SELECT version, visits FROM follow_up_protocol ORDER BY version DESC LIMIT 1`,
  );
  if (rows.length === 0) throw new Error('no follow-up protocol is published (run the migrations)');
  return rows[0];
}

/** Indexes of cohort `seed` already in the registry, by their enrolment's note (declined ones included). */
async function loadedIndexes(client: pg.Client, seed: number): Promise<Set<number>> {
  const { rows } = await client.query<{ note: string }>(
    `SELECT e.note FROM consent_event e JOIN patient p ON p.id = e.patient_id
      WHERE p.synthetic AND e.kind = 'emergency_enrolment' AND starts_with(e.note, $1)`,
    [syntheticNote(seed, 0).split(', index')[0]],
  );
  return new Set(
    rows.flatMap((row) => {
      const parsed = parseSyntheticNote(row.note);
      return parsed && parsed.seed === seed >>> 0 ? [parsed.index] : [];
    }),
  );
}

/** NHS number hashes already registered (enrolment would refuse them: 409), as hex. */
async function registeredHashes(client: pg.Client, hashes: readonly Buffer[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const { rows } = await client.query<{ hash: Buffer }>(
    `SELECT nhs_number_hash AS hash FROM patient_key WHERE nhs_number_hash = ANY($1::bytea[])`,
    [hashes],
  );
  return new Set(rows.map((r) => r.hash.toString('hex')));
}

/**
 * Locks the site rows (as enrolment does, in id order) and reads each site's last registry number, so that
 * numbers continue whatever the services or another load wrote meanwhile.
 */
async function lockSites(client: pg.Client, sites: readonly Site[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ id: string; last: number }>(
    `SELECT s.id,
            coalesce((SELECT max(p.registry_number) FROM patient p WHERE p.enrolment_site_id = s.id), 0) AS last
       FROM site s WHERE s.id = ANY($1::uuid[]) ORDER BY s.id FOR UPDATE OF s`,
    [sites.map((s) => s.id)],
  );
  return new Map(rows.map((r) => [r.id, Number(r.last)]));
}
