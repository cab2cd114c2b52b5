import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import { SiteScope, type Principal } from '../../libs/access/src/principal.js';
import type { AuditContext } from '../../libs/database/src/audit-context.js';
import { applyAuditContext } from '../../libs/database/src/transaction.service.js';
import { preparing } from '../lib/prepared.js';
import { IdentityKeyring } from '../../libs/registry/src/identity/identity-keyring.js';
import { normaliseFamilyName } from '../../libs/registry/src/patients/patient-identities.js';
import { PatientsService } from '../../libs/registry/src/patients/patients.service.js';
import { normaliseNhsNumber, syntheticNhsNumber } from '../../libs/registry/src/rules/nhs-number.js';

/** Who the audit trail says wrote the cloned rows of the set-up (never measured). */
export const SETUP_ACTOR = 'bench:setup';

const DAY_MS = 86_400_000;

/** The benchmark's site and the research nurse the patients' changes are made as. */
export interface BenchSite {
  readonly id: string;
  readonly code: string;
  readonly scope: SiteScope;
  /** The nurse's audit context, as the api builds it for a request (a new request id per change). */
  context(reason?: string): AuditContext;
}

/** A patient enrolled and on ECMO (run not ended, not discharged): no visit is planned yet. */
export interface EnrolledPatient {
  readonly id: string;
  readonly runId: string;
}

/** The identity every cloned patient carries (each sealed under the patient's own data key). */
const IDENTITY = {
  familyName: 'Bench',
  givenName: 'Robin',
  dateOfBirth: '1961-02-03',
  phone: '+44 7700 900456',
  email: null,
  address: null,
} as const;

/** Creates the site (as the owner, audited) and answers it with a nurse's scope of it. */
export async function createSite(owner: pg.Pool, code: string): Promise<BenchSite> {
  const id = await inTransaction(owner, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO site (code, name, follow_up_phone) VALUES ($1, $2, '020 7946 0000') RETURNING id`,
      [code, `Bench ${code} Heart`],
    );
    return rows[0].id;
  });
  const nurse: Principal = {
    kind: 'user',
    id: randomUUID(),
    roles: ['research_nurse'],
    siteIds: [id],
    actor: '',
  };
  const actor = `user:${nurse.id}`;
  return {
    id,
    code,
    scope: SiteScope.of(nurse),
    context: (reason) => ({ actor, reason, requestId: randomUUID(), clientAddress: '127.0.0.1' }),
  };
}

/**
 * The template every benchmark patient is cloned from, enrolled through the application's own enrolment
 * (PatientsService.enrol, in the api's context): a 61-year-old after CABG, VA ECMO started in theatre
 * `startDaysAgo` days ago and still running, emergency enrolment. Answers the patient's id.
 */
export async function enrolTemplate(
  app: INestApplicationContext,
  site: BenchSite,
  startDaysAgo = 20,
): Promise<string> {
  const operationDate = new Date(Date.now() - startDaysAgo * DAY_MS).toISOString().slice(0, 10);
  const dto = {
    identity: { nhsNumber: syntheticNhsNumber(0), ...IDENTITY, reminderChannel: 'sms' },
    sex: 'female',
    mdtDecision: { decidedAt: `${operationDate}T13:30:00.000Z`, decidedBy: 'Cardiac MDT' },
    operation: {
      operationDate,
      category: 'cabg',
      urgency: 'urgent',
      redo: false,
      bypassMinutes: 140,
      crossClampMinutes: 85,
      euroscoreIi: 6.4,
    },
    ecmoRun: {
      startedAt: `${operationDate}T14:00:00.000Z`,
      mode: 'VA',
      startLocation: 'theatre',
      startedFor: 'failure_to_wean',
      cannulation: 'central',
      drainageSite: 'right_atrium',
      returnSite: 'aorta',
      distalPerfusion: false,
      lvUnloading: 'iabp',
      preCardiacArrest: false,
      preLactate: 7.2,
      preVis: 45,
      prePh: 7.21,
    },
    consent: {
      kind: 'emergency_enrolment',
      occurredAt: `${operationDate}T15:00:00.000Z`,
      independentDoctor: 'Dr Independent',
    },
  };
  const { id } = await app
    .get(PatientsService)
    .enrol(site.scope, dto as unknown as Parameters<PatientsService['enrol']>[1], site.context());
  return id;
}

/**
 * Clones the template into `count` patients by SQL as the owner (the audit trigger records each row, as
 * `bench:setup`): the patient row (its own registry number), the index operation, the ECMO run and the
 * consent event copied; the key and identity made here, each sealed under a new data key bound to the new
 * patient (so the application opens them as its own), with a synthetic NHS number of the 999 range.
 * `numberFrom`: the first registry number and synthetic NHS number index (unique per benchmark database).
 */
export class PatientCloner {
  private readonly keyring: IdentityKeyring;
  private next: number;

  constructor(
    private readonly owner: pg.Pool,
    private readonly site: BenchSite,
    private readonly templateId: string,
    config: { IDENTITY_MASTER_KEYS?: string; IDENTITY_LOOKUP_KEY?: string },
    numberFrom = 2,
  ) {
    this.keyring = new IdentityKeyring(config.IDENTITY_MASTER_KEYS!, config.IDENTITY_LOOKUP_KEY!);
    this.next = numberFrom;
  }

  async clone(count: number, batch = 2000): Promise<EnrolledPatient[]> {
    const cloned: EnrolledPatient[] = [];
    for (let done = 0; done < count; done += batch) {
      cloned.push(...(await this.cloneBatch(Math.min(batch, count - done))));
    }
    return cloned;
  }

  private async cloneBatch(count: number): Promise<EnrolledPatient[]> {
    const first = this.next;
    this.next += count;
    const ids = Array.from({ length: count }, () => randomUUID());
    const keys = ids.map((id, i) => this.sealed(id, first + i));
    return inTransaction(this.owner, async (client) => {
      const columns = async (table: string): Promise<string[]> => {
        const { rows } = await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'
            ORDER BY ordinal_position`,
          [table],
        );
        return rows.map((r) => r.column_name);
      };
      const clone = async (
        table: string,
        key: string,
        overrides: Record<string, string>,
        extra: unknown[] = [],
      ) => {
        const names = await columns(table);
        const select = names.map((c) => overrides[c] ?? `t.${c}`);
        await client.query(
          `INSERT INTO ${table} (${names.join(', ')})
           SELECT ${select.join(', ')} FROM ${table} t
             CROSS JOIN unnest($1::uuid[]) WITH ORDINALITY AS n(id, i)
            WHERE t.${key} = $2 ${key === 'patient_id' ? 'AND t.voided_at IS NULL' : ''}`,
          [ids, this.templateId, ...extra],
        );
      };
      const fresh = { created_at: 'now()', updated_at: 'now()' };
      await clone(
        'patient',
        'id',
        {
          ...fresh,
          id: 'n.id',
          registry_number: '($3::int + n.i)::int',
          registry_id: `$4::text || '-' || lpad(($3::int + n.i)::text, 6, '0')`,
        },
        [first - 1, this.site.code],
      );
      await client.query(
        `INSERT INTO patient_key (patient_id, key_id, wrapped_key, nhs_number_hash, name_dob_hash)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bytea[])`,
        [
          ids,
          keys.map((k) => k.keyId),
          keys.map((k) => k.wrapped),
          keys.map((k) => k.nhsHash),
          keys.map((k) => k.nameDobHash),
        ],
      );
      await client.query(
        `INSERT INTO patient_identity (id, nhs_number, family_name, given_name, date_of_birth, phone, email,
                                       address, reminder_channel, version)
         SELECT id, nhs, family, given, dob, phone, NULL, NULL, 'sms', 1
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
             AS u(id, nhs, family, given, dob, phone)`,
        [
          ids,
          keys.map((k) => k.sealed.nhsNumber),
          keys.map((k) => k.sealed.familyName),
          keys.map((k) => k.sealed.givenName),
          keys.map((k) => k.sealed.dateOfBirth),
          keys.map((k) => k.sealed.phone),
        ],
      );
      const child = { ...fresh, id: 'gen_random_uuid()', patient_id: 'n.id' };
      for (const table of ['index_operation', 'ecmo_run', 'consent_event']) {
        await clone(table, 'patient_id', child);
      }
      const { rows } = await client.query<{ patient_id: string; id: string }>(
        `SELECT patient_id, id FROM ecmo_run WHERE patient_id = ANY($1::uuid[])`,
        [ids],
      );
      const runs = new Map(rows.map((r) => [r.patient_id, r.id]));
      return ids.map((id) => ({ id, runId: runs.get(id)! }));
    });
  }

  private sealed(patientId: string, index: number) {
    const dataKey = this.keyring.newDataKey();
    const wrapped = this.keyring.wrap(dataKey, patientId);
    const nhsNumber = normaliseNhsNumber(syntheticNhsNumber(index));
    const seal = (field: string, value: string) => this.keyring.seal(dataKey, patientId, field, value);
    return {
      keyId: wrapped.keyId,
      wrapped: wrapped.wrapped,
      nhsHash: this.keyring.lookupHash('nhs_number', nhsNumber),
      nameDobHash: this.keyring.lookupHash(
        'name_dob',
        `${normaliseFamilyName(IDENTITY.familyName)}\u0000${IDENTITY.dateOfBirth}`,
      ),
      sealed: {
        nhsNumber: seal('nhsNumber', nhsNumber),
        familyName: seal('familyName', IDENTITY.familyName),
        givenName: seal('givenName', IDENTITY.givenName),
        dateOfBirth: seal('dateOfBirth', IDENTITY.dateOfBirth),
        phone: seal('phone', IDENTITY.phone),
      },
    };
  }
}

/** Runs `work` in a transaction of `pool`, audited as `context` (by default, as the set-up). */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  context: AuditContext = { actor: SETUP_ACTOR },
  options: { prepared?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await applyAuditContext(options.prepared ? preparing(client) : client, context);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
