import { ConflictException, type INestApplicationContext } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { CreateSiteDto, SiteScope, SitesService, sitesByCode } from '../../../access/src/index.js';
import type { AuditContext } from '../../../database/src/index.js';
import { errorMessage, flattenValidationErrors, RuleProblem } from '../../../observability/src/index.js';
import { ComplicationDto, ConsentEventDto, EnrolPatientDto, OutcomeDto } from '../patients/dto.js';
import { PatientsService } from '../patients/patients.service.js';
import { ClinicalRecordsService, COMPLICATION, OUTCOME } from '../patients/records.service.js';
import { SYNTHETIC_NHS_NUMBER_COUNT } from '../rules/nhs-number.js';
import { parseSyntheticNote, syntheticNote, syntheticPatient, type SyntheticPatient } from './cohort.js';
import { enrolmentNotesOfCohort, ecmoRunIdOf } from './synthetic.queries.js';

/** Who the audit trail says loaded the cohort. */
export const SYNTHETIC_ACTOR = 'cli:synthetic-cohort';

export interface LoadCohortOptions {
  readonly patients: number;
  readonly sites: number;
  readonly seed: number;
  /** Index of the first patient in the synthetic sequence (and of its NHS number in the 999 range). */
  readonly offset?: number;
  /** Nothing is dated after it (default: the start of the load). */
  readonly now?: Date;
  /** Patients loaded at the same time (default 6); keep it below DATABASE_POOL_SIZE. */
  readonly concurrency?: number;
  /** Stops handing out patients once aborted; those in flight finish (no patient is left half-loaded). */
  readonly signal?: AbortSignal;
}

export interface CohortProgress {
  /** Patients handled so far, loaded or skipped. */
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
}

export interface CohortSummary {
  readonly sites: ReadonlyArray<{ readonly id: string; readonly code: string; readonly created: boolean }>;
  /** Patients enrolled by this run. */
  readonly patients: number;
  /**
   * Patients not enrolled again: those of this seed and index already loaded (a rerun), found by their
   * enrolment's note (a declined one no longer has an NHS number to match), and any other whose NHS number
   * is already registered (another seed over the same indexes).
   */
  readonly skipped: number;
  readonly deaths: number;
  readonly discharges: number;
  /** Patients whose consultee or who themselves declined (kept only as a count). */
  readonly declines: number;
  /** Patients who withdrew (at one level or more). */
  readonly withdrawals: number;
  readonly complications: number;
  readonly consentEvents: number;
  readonly seconds: number;
  /** True when the signal stopped the load before every patient was handled. */
  readonly interrupted: boolean;
}

/** Why a patient could not be loaded: which one, at which request, and the service's answer. */
export class CohortLoadError extends Error {
  constructor(
    readonly index: number,
    readonly step: string,
    cause: unknown,
  ) {
    super(`synthetic patient ${index}, ${step}: ${describe(cause)}`, { cause });
  }
}

function describe(error: unknown): string {
  if (error instanceof RuleProblem && error.fieldErrors.length > 0) {
    return `${error.message} (${error.fieldErrors.map((e) => `${e.field} ${e.reason}`).join('; ')})`;
  }
  return errorMessage(error);
}

/** A DTO instance that passed the api's own validation (whitelist, no unknown properties), or a RuleProblem. */
async function validated<T extends object>(type: ClassConstructor<T>, body: object): Promise<T> {
  const dto = plainToInstance(type, body);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new RuleProblem('Invalid request body', flattenValidationErrors(errors));
  return dto;
}

type Request =
  | { readonly kind: 'consent'; readonly dto: ConsentEventDto }
  | { readonly kind: 'complication'; readonly dto: ComplicationDto }
  | { readonly kind: 'outcome'; readonly dto: OutcomeDto };

/** Every request of one patient, validated before the first one is sent (no half-loaded patient on a bad body). */
async function requestsOf(patient: SyntheticPatient): Promise<{ enrol: EnrolPatientDto; later: Request[] }> {
  const enrol = await validated(EnrolPatientDto, patient.enrolment);
  const later: Request[] = [];
  for (const step of patient.steps) {
    if (step.kind === 'consent')
      later.push({ kind: step.kind, dto: await validated(ConsentEventDto, step.body) });
    if (step.kind === 'complication')
      later.push({ kind: step.kind, dto: await validated(ComplicationDto, step.body) });
    if (step.kind === 'outcome') later.push({ kind: step.kind, dto: await validated(OutcomeDto, step.body) });
  }
  return { enrol, later };
}

/**
 * Loads `patients` synthetic patients (issue 4) through the registry's own services, as a research nurse at
 * the synthetic sites would: `PatientsService.enrol` (marked synthetic), then `ClinicalRecordsService` for
 * every later consent event, complication and the hospital outcome, in the order they happened, so every
 * rule of the api (validation, value sets, eligibility, timeline, consent order, audit trail) applies. Sites
 * SYN1..SYN<sites> are created when missing. A patient whose NHS number is already in the registry is
 * skipped (a rerun with the same seed adds nothing twice); another refusal stops the load with the patient's
 * index and the service's reasons. `concurrency` patients are in flight at once, each one's requests in order.
 */
export async function loadCohort(
  app: INestApplicationContext,
  options: LoadCohortOptions,
  onProgress: (progress: CohortProgress) => void = () => {},
): Promise<CohortSummary> {
  const { patients: total, sites: siteCount, seed } = options;
  const offset = options.offset ?? 0;
  const concurrency = options.concurrency ?? 6;
  const now = options.now ?? new Date();
  for (const [name, value, min] of [
    ['patients', total, 0],
    ['sites', siteCount, 1],
    ['offset', offset, 0],
    ['concurrency', concurrency, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`${name} must be a whole number of at least ${min}, got ${value}`);
    }
  }
  if (offset + total > SYNTHETIC_NHS_NUMBER_COUNT) {
    throw new RangeError(
      `offset + patients must not exceed ${SYNTHETIC_NHS_NUMBER_COUNT} (the 999 test range)`,
    );
  }
  const started = performance.now();
  const patientsService = app.get(PatientsService);
  const records = app.get(ClinicalRecordsService);
  const dataSource = app.get(DataSource);
  const sites = await ensureSites(app.get(SitesService), dataSource, siteCount);
  const scope = SiteScope.of({
    kind: 'user',
    id: 'synthetic-cohort',
    roles: ['research_nurse'],
    siteIds: sites.map((s) => s.id),
    actor: SYNTHETIC_ACTOR,
  });

  const loaded = await loadedIndexes(dataSource, seed);
  const counts = { patients: 0, skipped: 0, deaths: 0, discharges: 0, declines: 0, withdrawals: 0 };
  const tally = { complications: 0, consentEvents: 0 };

  const loadOne = async (index: number): Promise<void> => {
    let step = 'generation';
    if (loaded.has(index)) {
      counts.skipped++;
      return;
    }
    try {
      const patient = syntheticPatient(index, { seed, now, sites: siteCount });
      step = 'validation';
      const { enrol, later } = await requestsOf(patient);
      const context: AuditContext = {
        actor: SYNTHETIC_ACTOR,
        requestId: `synthetic-cohort:${seed >>> 0}:${index}`,
      };
      step = 'enrolment';
      let id: string;
      try {
        ({ id } = await patientsService.enrol(scope, enrol, context, {
          synthetic: true,
          siteId: sites[patient.siteIndex].id,
        }));
      } catch (error) {
        if (error instanceof ConflictException && error.message.includes('NHS number')) {
          counts.skipped++;
          return;
        }
        throw error;
      }
      let runId: string | undefined;
      for (const [n, request] of later.entries()) {
        step = `${request.kind} (request ${n + 2})`;
        if (request.kind === 'consent') {
          await records.addConsentEvent(scope, id, request.dto, context);
          tally.consentEvents++;
        } else if (request.kind === 'complication') {
          // The index run's id: a read, the only one the load needs (enrol answers the patient's id only).
          runId ??= await ecmoRunIdOf(dataSource.manager, id);
          request.dto.ecmoRunId = runId;
          await records.create(COMPLICATION, scope, id, request.dto, context);
          tally.complications++;
        } else {
          await records.create(OUTCOME, scope, id, request.dto, context);
          if (request.dto.kind === 'death') counts.deaths++;
          else counts.discharges++;
        }
      }
      counts.patients++;
      tally.consentEvents++; // the enrolment's own
      if (patient.facts.declinedBy) counts.declines++;
      if (patient.facts.withdrawalLevels.length > 0) counts.withdrawals++;
    } catch (error) {
      throw new CohortLoadError(index, step, error);
    }
  };

  let next = 0;
  let done = 0;
  let failure: CohortLoadError | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < total && !options.signal?.aborted) {
      const index = offset + next++;
      try {
        await loadOne(index);
      } catch (error) {
        failure ??= error instanceof CohortLoadError ? error : new CohortLoadError(index, 'load', error);
        return;
      }
      done++;
      onProgress({ done, total, skipped: counts.skipped });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(total, 1)) }, worker));
  if (failure !== undefined) throw failure;
  return {
    sites,
    ...counts,
    ...tally,
    seconds: (performance.now() - started) / 1000,
    interrupted: done < total,
  };
}

/** Indexes of the patients of cohort `seed` already in the registry (one read, by their enrolment's note). */
async function loadedIndexes(dataSource: DataSource, seed: number): Promise<Set<number>> {
  const rows = await enrolmentNotesOfCohort(dataSource.manager, syntheticNote(seed, 0).split(', index')[0]);
  return new Set(
    rows.flatMap((row) => {
      const parsed = parseSyntheticNote(row.note);
      return parsed && parsed.seed === seed >>> 0 ? [parsed.index] : [];
    }),
  );
}

/** Sites SYN1..SYN<count>, "Synthetic site k", created through SitesService when missing. */
async function ensureSites(
  sitesService: SitesService,
  dataSource: DataSource,
  count: number,
): Promise<Array<{ id: string; code: string; created: boolean }>> {
  const wanted = Array.from({ length: count }, (_, k) => ({
    code: `SYN${k + 1}`,
    name: `Synthetic site ${k + 1}`,
  }));
  const existing = await sitesByCode(
    dataSource.manager,
    wanted.map((w) => w.code),
  );
  const result: Array<{ id: string; code: string; created: boolean }> = [];
  for (const site of wanted) {
    const found = existing.find((s) => s.code === site.code);
    if (found) {
      result.push({ id: found.id, code: found.code, created: false });
      continue;
    }
    const created = await sitesService.create(await validated(CreateSiteDto, site), {
      actor: SYNTHETIC_ACTOR,
    });
    result.push({ id: created.id, code: created.code, created: true });
  }
  return result;
}
