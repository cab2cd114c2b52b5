import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { findSite, IdentifierReadLog, lockSite, SiteScope } from '../../../access/src/index.js';
import {
  type AuditContext,
  isUniqueViolation,
  nextNumber,
  TransactionService,
} from '../../../database/src/index.js';
import { RuleProblem, type FieldError } from '../../../observability/src/index.js';
import { consentEventProblem, consentStatus } from '../rules/consent.js';
import {
  ageInYears,
  eligibilityFailures,
  impossibleBirthDate,
  type EligibilityFailure,
} from '../rules/eligibility.js';
import { timelineProblems } from '../rules/timeline.js';
import {
  type CorrectIdentityDto,
  type CorrectPatientDto,
  type EnrolPatientDto,
  type PatientListQuery,
  type PatientSearchDto,
  reasonsOf,
  type TransferDto,
} from './dto.js';
import type { Patient } from './entities.js';
import { eligibilityFactsOf, eligibilityFieldOf, PatientChanges } from './patient-changes.js';
import type { PatientRecords } from './patient-records.js';
import { PatientExtensions } from './extensions.js';
import { PatientIdentities, type Identity } from './patient-identities.js';
import {
  correctPatientFields,
  everyRecordOf,
  findPatient,
  insertPatient,
  loadRecords,
  lockPatient,
  movePatient,
  patientList,
  patientsInScope,
} from './patients.queries.js';
import { insertConsentEvent, insertEcmoRun, insertIndexOperation } from './records.queries.js';
import { consentEventProblems, ECMO_RUN, OPERATION } from './records.service.js';
import { RUN_CODES, OPERATION_CODES, consentFields, runFields, operationFields } from './record-fields.js';
import {
  completeness,
  complicationView,
  consentEventView,
  countingSetView,
  derivedFacts,
  listItem,
  operationView,
  outcomeView,
  runView,
  type PatientListItem,
  type PatientSummary,
} from './views.js';
import { assertStaleFree } from './versioning.js';

export interface EnrolOptions {
  /** Marks a synthetic (demonstration) patient; only the synthetic cohort command sets it. */
  readonly synthetic?: boolean;
  /** The enrolling site, when the caller works at several. */
  readonly siteId?: string;
}

/** The latest instant a summary derives from: "now", or a recorded instant within the clock tolerance. */
function derivationInstant(records: PatientRecords): Date {
  const instants = [
    Date.now(),
    ...records.runs.flatMap((r) => [r.startedAt.getTime(), r.endedAt?.getTime() ?? 0]),
    records.outcome?.occurredAt.getTime() ?? 0,
  ];
  return new Date(Math.max(...instants));
}

@Injectable()
export class PatientsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly identities: PatientIdentities,
    private readonly changes: PatientChanges,
    private readonly audit: AuditService,
    private readonly identifierReads: IdentifierReadLog,
    private readonly extensions: PatientExtensions,
  ) {}

  /**
   * Every rule an enrolment must meet, checked without writing anything (the web app's "check your answers"
   * shows the verdict before the nurse submits): the fields that break a rule (codes, cross-field rules, the
   * identity, the consent event), then, when they are sound, eligibility and the order of the timeline.
   * `enrol` refuses what this finds, in that order.
   */
  checkEnrolment(dto: EnrolPatientDto): {
    problems: FieldError[];
    /** Each failed eligibility rule, with the enrolment's field it is about (`identity.dateOfBirth`…). */
    ineligible: (EligibilityFailure & { readonly path: string })[];
    timeline: FieldError[];
  } {
    const problems: FieldError[] = [];
    const collect = (check: () => void) => {
      try {
        check();
      } catch (error) {
        if (!(error instanceof RuleProblem)) throw error;
        problems.push(...error.fieldErrors);
      }
    };
    collect(() => this.changes.assertCodes(null, '', dto, { sex: 'sex' }, undefined));
    collect(() =>
      this.changes.assertCodes(
        'operation',
        'operation.',
        dto.operation,
        OPERATION_CODES,
        reasonsOf(dto.operation.missing),
      ),
    );
    collect(() =>
      this.changes.assertCodes('ecmoRun', 'ecmoRun.', dto.ecmoRun, RUN_CODES, reasonsOf(dto.ecmoRun.missing)),
    );
    problems.push(
      ...OPERATION.problems(operationFields(dto.operation), (set, code) =>
        this.changes.requiresText(set, code),
      ).map((p) => ({ field: `operation.${p.field}`, reason: p.reason })),
      ...ECMO_RUN.problems(runFields(dto.ecmoRun), () => false).map((p) => ({
        field: `ecmoRun.${p.field}`,
        reason: p.reason,
      })),
      ...identityProblems(dto.identity, 'identity.'),
      ...consentEventProblems(dto.consent, new Date(), 'consent.'),
    );
    const birth = impossibleBirthDate(dto.identity.dateOfBirth, new Date(dto.ecmoRun.startedAt));
    if (birth) problems.push({ field: 'identity.dateOfBirth', reason: birth });
    const consentProblem = consentEventProblem(consentStatus([]), consentFields(dto.consent));
    if (consentProblem) problems.push({ field: 'consent.kind', reason: consentProblem });
    if (problems.length > 0) return { problems, ineligible: [], timeline: [] };

    const operation = operationFields(dto.operation);
    const run = runFields(dto.ecmoRun);
    const mdtDecisionAt = dto.mdtDecision ? new Date(dto.mdtDecision.decidedAt) : null;
    const ineligible = eligibilityFailures(
      eligibilityFactsOf(dto.identity.dateOfBirth, { mdtDecisionAt }, operation, run),
    ).map((f) => ({ ...f, path: eligibilityFieldOf(f.field) }));
    const timeline = timelineProblems(
      {
        operationDate: operation.operationDate,
        runs: [{ id: 'new', ...run }],
        complications: [],
        outcome: null,
      },
      new Date(),
    ).map((p) => ({ field: p.field, reason: p.reason }));
    return { problems, ineligible, timeline };
  }

  /**
   * Enrols a patient at a site of the caller (domain guide §3): identity, index operation, first ECMO run,
   * MDT decision and the first consent event, in one transaction. Eligibility is derived from those facts:
   * an ineligible patient is refused (422) with every rule that failed. The registry ID is the site code and
   * the next number of that site, allocated under a lock on the site row.
   */
  async enrol(
    scope: SiteScope,
    dto: EnrolPatientDto,
    context: AuditContext,
    options: EnrolOptions = {},
  ): Promise<{ id: string; registryId: string }> {
    const siteId = this.enrolmentSite(scope, options.siteId);
    const verdict = this.checkEnrolment(dto);
    if (verdict.problems.length > 0) {
      throw new RuleProblem('The enrolment breaks the registry’s rules', verdict.problems);
    }
    if (verdict.ineligible.length > 0) {
      throw new RuleProblem(
        `Not eligible for the registry: ${verdict.ineligible.map((f) => f.message).join('; ')}`,
        verdict.ineligible.map((f) => ({ field: f.path, reason: `${f.rule}: ${f.message}` })),
      );
    }
    if (verdict.timeline.length > 0) {
      throw new RuleProblem('The enrolment breaks the order of the timeline', verdict.timeline);
    }
    const operation = operationFields(dto.operation);
    const run = runFields(dto.ecmoRun);
    const consent = consentFields(dto.consent);
    const mdtDecisionAt = dto.mdtDecision ? new Date(dto.mdtDecision.decidedAt) : null;

    try {
      return await this.transactions.run(context, async (em) => {
        const site = await lockSite(em, siteId);
        if (!site) throw new NotFoundException('Site not found');
        // Gapless per site, serialised by the site row's lock above.
        const next = await nextNumber(em, 'patient', 'registry_number', {
          column: 'enrolment_site_id',
          value: siteId,
        });
        const registryId = `${site.code}-${String(next).padStart(4, '0')}`;
        const status = consentStatus([consent]);
        const patientId = await insertPatient(em, {
          siteId,
          enrolmentSiteId: siteId,
          registryNumber: next,
          registryId,
          sex: dto.sex,
          ageAtEcmoStart: ageInYears(dto.identity.dateOfBirth, run.startedAt),
          mdtDecisionAt,
          mdtDecisionBy: dto.mdtDecision?.decidedBy ?? null,
          eligibilityFailures: [],
          consentState: status.state,
          synthetic: options.synthetic ?? false,
          missing: {},
          version: 1,
        });
        await this.identities.create(em, context, patientId, identityOf(dto.identity));
        await insertIndexOperation(em, {
          patientId,
          ...operation,
          missing: reasonsOf(dto.operation.missing),
          version: 1,
        });
        await insertEcmoRun(em, { patientId, ...run, missing: reasonsOf(dto.ecmoRun.missing), version: 1 });
        await insertConsentEvent(em, { patientId, ...consent, missing: {}, version: 1 });
        await this.extensions.afterChange(em, patientId, await loadRecords(em, patientId));
        return { id: patientId, registryId };
      });
    } catch (error) {
      // Two enrolments of one NHS number at the same moment: the unique index on its hash decides.
      if (isUniqueViolation(error, 'patient_key_nhs_number_hash_key')) {
        throw new ConflictException('A patient with this NHS number is already enrolled in the registry');
      }
      throw error;
    }
  }

  /** Patients in scope, by registry ID order (keyset paging), optionally one exact registry ID. */
  async list(scope: SiteScope, query: PatientListQuery): Promise<PatientListItem[]> {
    const conditions = {
      visitStatus: this.extensions.listConditions('visitStatus'),
      diedElsewhere: this.extensions.listConditions('diedElsewhere'),
    };
    return (await patientList(this.dataSource.manager, scope, query, conditions)).map(listItem);
  }

  /**
   * Finds patients in scope by exact NHS number, or by family name and date of birth, through the keyed
   * hashes (nothing is decrypted). The search is an identifier read: it is logged, with what was searched
   * by and which patients it found (none included), in the same transaction as the answer.
   */
  async search(scope: SiteScope, dto: PatientSearchDto, context: AuditContext): Promise<PatientListItem[]> {
    const byName = dto.familyName !== undefined || dto.dateOfBirth !== undefined;
    if (dto.nhsNumber === undefined && !byName) {
      throw new BadRequestException('Search by nhsNumber, or by familyName and dateOfBirth');
    }
    if (dto.nhsNumber !== undefined && byName) {
      throw new BadRequestException('Search by nhsNumber or by familyName and dateOfBirth, not both');
    }
    if (byName && (dto.familyName === undefined || dto.dateOfBirth === undefined)) {
      throw new BadRequestException('A search by name needs both familyName and dateOfBirth');
    }
    return this.transactions.run(context, async (em) => {
      const ids = dto.nhsNumber
        ? await this.identities.findByNhsNumber(em, dto.nhsNumber)
        : await this.identities.findByNameAndDateOfBirth(em, dto.familyName!, dto.dateOfBirth!);
      const found = ids.length === 0 ? [] : await patientsInScope(em, scope, ids);
      const fields = dto.nhsNumber ? ['nhsNumber'] : ['familyName', 'dateOfBirth'];
      await this.audit.record(em, context, {
        action: 'patient.search',
        entityType: 'patient',
        details: { by: fields, found: found.map((p) => p.id) },
      });
      await this.identifierReads.record(
        em,
        context,
        'patient_identity',
        found.map((p) => p.id),
        fields,
        'search',
      );
      return found.map(listItem);
    });
  }

  /**
   * The patient summary (one call): the current state of every record, voided ones marked, the consent
   * timeline and its derived state, eligibility, the derived outcome facts and the completeness list. A
   * patient kept only as a count shows the minimal counting set alone.
   */
  async summary(scope: SiteScope, patientId: string) {
    const em = this.dataSource.manager;
    const patient = await findPatient(em, scope, patientId);
    const site = await findSite(em, patient.siteId);
    if (!site) throw new NotFoundException('Site not found');
    // Every record once, voided ones included (they stay visible, marked); the rules read the live ones.
    const all = await everyRecordOf(em, patientId);
    const live = <T extends { voidedAt: Date | null }>(rows: T[]): T[] => rows.filter((r) => !r.voidedAt);
    const records: PatientRecords = {
      operation: live(all.operations)[0] ?? null,
      runs: live(all.runs),
      complications: live(all.complications),
      outcome: live(all.outcomes)[0] ?? null,
    };
    if (patient.countingOnlySince) return countingSetView(patient, site.code, records);
    const now = derivationInstant(records);
    const enrolmentSite =
      patient.enrolmentSiteId === patient.siteId ? site : await findSite(em, patient.enrolmentSiteId);
    if (!enrolmentSite) throw new NotFoundException('Site not found');
    const summary: PatientSummary = {
      id: patient.id,
      registryId: patient.registryId,
      version: patient.version,
      site: { id: site.id, code: site.code, name: site.name },
      enrolmentSite: { id: enrolmentSite.id, code: enrolmentSite.code },
      synthetic: patient.synthetic,
      sex: patient.sex,
      ageAtEcmoStart: patient.ageAtEcmoStart,
      mdtDecision: patient.mdtDecisionAt
        ? { decidedAt: patient.mdtDecisionAt.toISOString(), decidedBy: patient.mdtDecisionBy }
        : null,
      missing: patient.missing,
      eligibility: {
        eligible: patient.eligibilityFailures.length === 0,
        failures: patient.eligibilityFailures,
      },
      consent: {
        state: patient.consentState,
        contactWithdrawnAt: patient.contactWithdrawnAt?.toISOString() ?? null,
        dataCollectionWithdrawnAt: patient.dataCollectionWithdrawnAt?.toISOString() ?? null,
        exportWithdrawnAt: patient.exportWithdrawnAt?.toISOString() ?? null,
        events: all.consent.map(consentEventView),
      },
      operation: records.operation ? operationView(records.operation) : null,
      ecmoRuns: all.runs.map((run) => runView(run, now)),
      complications: all.complications.map(complicationView),
      outcome: records.outcome ? outcomeView(records.outcome) : null,
      voidedOperations: all.operations.filter((o) => o.voidedAt).map(operationView),
      voidedOutcomes: all.outcomes.filter((o) => o.voidedAt).map(outcomeView),
      derived: derivedFacts(records, now, await this.extensions.recordedDeathOn(em, patient.id)),
      completeness: completeness(patient, records),
    };
    return { ...summary, ...(await this.extensions.summaryParts(em, patient)) };
  }

  /** The identity in clear (the route logs the read); 410 once destroyed. */
  async identity(scope: SiteScope, patientId: string): Promise<IdentityView> {
    const em = this.dataSource.manager;
    const patient = await findPatient(em, scope, patientId);
    const { identity, version } = await this.identities.read(em, patient.id);
    return { patientId: patient.id, registryId: patient.registryId, version, ...identity };
  }

  /** Corrects identifiers (If-Match on the identity's version); a date of birth change re-derives eligibility. */
  async correctIdentity(
    scope: SiteScope,
    patientId: string,
    version: number,
    dto: CorrectIdentityDto,
    context: AuditContext,
  ) {
    const { reason, ...changes } = dto;
    await this.changes.change(scope, patientId, { ...context, reason }, async (em, patient) => {
      const current = await this.identities.read(em, patient.id);
      assertStaleFree('Identity', current.version, version);
      const next: Identity = { ...current.identity, ...stripUndefined(changes) };
      const problems = identityProblems(next, '');
      if (problems.length > 0) throw new RuleProblem('The identity breaks the registry’s rules', problems);
      await this.identities.replace(em, patient.id, version, next);
    });
    return this.identity(scope, patientId);
  }

  /** Corrects the patient's own fields (sex, MDT decision), If-Match on the patient's version. */
  async correctPatient(
    scope: SiteScope,
    patientId: string,
    version: number,
    dto: CorrectPatientDto,
    context: AuditContext,
  ) {
    this.changes.assertCodes(null, '', dto, { sex: 'sex' }, undefined);
    await this.changes.change(scope, patientId, { ...context, reason: dto.reason }, async (em, patient) => {
      const set: Partial<Patient> = {};
      if (dto.sex !== undefined) set.sex = dto.sex;
      if (dto.mdtDecision !== undefined) {
        set.mdtDecisionAt = dto.mdtDecision ? new Date(dto.mdtDecision.decidedAt) : null;
        set.mdtDecisionBy = dto.mdtDecision?.decidedBy ?? null;
      }
      const affected = await correctPatientFields(em, patient.id, version, set);
      if (affected !== 1) assertStaleFree('Patient', patient.version, version);
    });
    return this.summary(scope, patientId);
  }

  /**
   * Moves a patient to another site (data manager or administrator): the new site's staff gain access, the
   * old site's lose it; the registry ID keeps the enrolling site's code. The history shows the move.
   */
  async transfer(
    scope: SiteScope,
    patientId: string,
    dto: TransferDto,
    context: AuditContext,
  ): Promise<TransferView> {
    const audited = { ...context, reason: dto.reason };
    return this.transactions.run(audited, async (em) => {
      const patient = await lockPatient(em, scope, patientId);
      const site = await findSite(em, dto.siteId);
      if (!site)
        throw new RuleProblem('No such site', [{ field: 'siteId', reason: 'is not a site of the registry' }]);
      if (site.id === patient.siteId) {
        throw new RuleProblem('The patient is already at that site', [
          { field: 'siteId', reason: 'is the patient’s current site' },
        ]);
      }
      await movePatient(em, patient.id, site.id);
      await this.audit.record(em, audited, {
        action: 'patient.transferred',
        entityType: 'patient',
        entityId: patient.id,
        details: { fromSiteId: patient.siteId, toSiteId: site.id },
      });
      return { id: patient.id, registryId: patient.registryId, siteId: site.id, siteCode: site.code };
    });
  }

  private enrolmentSite(scope: SiteScope, requested: string | undefined): string {
    if (requested) {
      scope.assertIncludes(requested, 'Site');
      return requested;
    }
    if (scope.allSites || scope.siteIds.length !== 1) {
      throw new RuleProblem('Say at which site the patient is enrolled', [
        { field: 'siteId', reason: 'is required when you work at more than one site' },
      ]);
    }
    return scope.siteIds[0];
  }
}

/** Contact details the chosen reminder channel needs. */
export function identityProblems(
  identity: { reminderChannel: string; phone?: string | null; email?: string | null },
  prefix: string,
): FieldError[] {
  if (identity.reminderChannel === 'sms' && !identity.phone) {
    return [{ field: `${prefix}phone`, reason: 'is required for SMS reminders' }];
  }
  if (identity.reminderChannel === 'email' && !identity.email) {
    return [{ field: `${prefix}email`, reason: 'is required for e-mail reminders' }];
  }
  return [];
}

function identityOf(dto: EnrolPatientDto['identity']): Identity {
  return {
    nhsNumber: dto.nhsNumber,
    familyName: dto.familyName.trim(),
    givenName: dto.givenName.trim(),
    dateOfBirth: dto.dateOfBirth,
    phone: dto.phone ?? null,
    email: dto.email ?? null,
    address: dto.address ?? null,
    reminderChannel: dto.reminderChannel,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A patient's identity in clear (reading it is logged). */
export interface IdentityView extends Identity {
  /** @format uuid */
  readonly patientId: string;
  readonly registryId: string;
  /** The identity's version: the ETag of PATCH /patients/:id/identity. */
  readonly version: number;
}

/** Where a transferred patient now is. */
export interface TransferView {
  /** @format uuid */
  readonly id: string;
  readonly registryId: string;
  /** @format uuid */
  readonly siteId: string;
  readonly siteCode: string;
}
