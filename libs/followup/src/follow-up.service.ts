import { ConflictException, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { SiteScope } from '../../access/src/index.js';
import { type AuditContext, isUniqueViolation, TransactionService } from '../../database/src/index.js';
import { RuleProblem } from '../../observability/src/index.js';
import {
  assertStaleFree,
  changeFollowUpFields,
  countingOnly,
  findPatient,
  type FollowUpFields,
  type Patient,
  PatientChanges,
  PatientExtensions,
  SharedReads,
} from '../../registry/src/index.js';
import {
  appointmentWithReminders,
  windowWarning,
  type AppointmentWithReminders,
} from './appointments/appointments.js';
import { BOOKED_APPOINTMENTS } from './appointments/appointments.queries.js';
import { assessmentView, FollowUpAssessments, type AssessmentView } from './assessments/assessments.js';
import { LIVE_ASSESSMENTS, liveAssessments } from './assessments/assessments.queries.js';
import { followUpDeathOn } from './rules/assessments.js';
import type { FollowUpPlanDto, PublishProtocolDto } from './dto.js';
import type { FollowUpProtocol, FollowUpVisit } from './entities.js';
import {
  allProtocols,
  diedAtFollowUp,
  followUpRecordsForHistory,
  followUpRecordsOf,
  insertProtocol,
  nextProtocolVersion,
  protocolExists,
  protocolOfVersion,
  visitInState,
} from './follow-up.queries.js';
import {
  protocolProblems,
  type NotRequiredReason,
  type ProtocolVisit,
  type VisitStatus,
} from './rules/visits.js';
import { FollowUpPlanner } from './visits/planner.js';
import { londonDay } from '../../time/src/index.js';

/** A published follow-up protocol version. */
export interface ProtocolView {
  readonly version: number;
  readonly title: string;
  readonly notes: string | null;
  readonly publishedBy: string;
  /** @format date-time */
  readonly publishedAt: string;
  readonly visits: readonly ProtocolVisit[];
}

/** A follow-up visit of a patient: its days, its window and its state. */
export interface VisitView {
  /** @format uuid */
  readonly id: string;
  readonly code: string;
  readonly label: string;
  readonly protocolVersion: number;
  readonly anchor: 'decannulation' | 'discharge';
  /** @format date */
  readonly dueOn: string | null;
  readonly window: { readonly opensOn: string | null; readonly closesOn: string | null };
  readonly status: VisitStatus;
  readonly statusReason: NotRequiredReason | null;
  readonly version: number;
}

/** A patient's follow-up plan: its protocol, its visits with their assessment and appointments. */
export interface FollowUpPlanView {
  /** The patient's version: the ETag of PATCH /patients/:id/follow-up. */
  readonly patientVersion: number;
  readonly protocolVersion: number | null;
  readonly extendedFollowUp: boolean;
  /** @format date */
  readonly lostToFollowUpOn: string | null;
  readonly visits: ReadonlyArray<
    VisitView & {
      /** The booked appointment outside the visit's window, said on the visit; else null. */
      readonly bookedOutsideWindow: string | null;
      readonly assessment: AssessmentView | null;
      readonly appointments: readonly AppointmentWithReminders[];
    }
  >;
  readonly voidedAssessments: readonly AssessmentView[];
}

export function protocolView(protocol: FollowUpProtocol): ProtocolView {
  return {
    version: protocol.version,
    title: protocol.title,
    notes: protocol.notes,
    publishedBy: protocol.publishedBy,
    publishedAt: protocol.publishedAt.toISOString(),
    visits: protocol.visits,
  };
}

export function visitView(visit: FollowUpVisit): VisitView {
  return {
    id: visit.id,
    code: visit.code,
    label: visit.label,
    protocolVersion: visit.protocolVersion,
    anchor: visit.anchor,
    dueOn: visit.dueOn,
    window: { opensOn: visit.opensOn, closesOn: visit.closesOn },
    status: visit.status,
    statusReason: visit.statusReason,
    version: visit.version,
  };
}

/**
 * Protocols (published by administrators, append-only) and each patient's follow-up plan and visits. The
 * visits themselves are written by the planner only, from the patient's settled record.
 */
@Injectable()
export class FollowUpService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly changes: PatientChanges,
    private readonly extensions: PatientExtensions,
    private readonly planner: FollowUpPlanner,
    private readonly assessments: FollowUpAssessments,
  ) {}

  /**
   * Every change to a patient checks the follow-up timeline, then replans the visits from the record that
   * holds; the summary shows the follow-up plan with its assessments.
   */
  onModuleInit(): void {
    this.extensions.onChange(this.assessments);
    this.extensions.onChange(this.planner);
    this.extensions.addSharedRead(LIVE_ASSESSMENTS);
    this.extensions.addSharedRead(BOOKED_APPOINTMENTS);
    this.extensions.addSummaryPart({ key: 'followUp', read: (em, patient) => this.planOf(em, patient) });
    // The patient list filters on the visits' states and on deaths recorded at a visit.
    this.extensions.addListCondition('visitStatus', visitInState);
    this.extensions.addListCondition('diedElsewhere', diedAtFollowUp);
    // The patient's history shows every change to their follow-up records too.
    this.extensions.addHistorySource((em, patientId) => followUpRecordsForHistory(em, patientId));
    // A death recorded at a visit is the patient's death in the summary's derived facts too.
    this.extensions.addDeathSource(async (em, patientId) =>
      followUpDeathOn(await liveAssessments(em, patientId, new SharedReads())),
    );
  }

  async protocols() {
    const rows = await allProtocols(this.dataSource.manager);
    return rows.map(protocolView);
  }

  async protocol(version: number) {
    const row = await protocolOfVersion(this.dataSource.manager, version);
    if (!row) throw new NotFoundException(`Protocol version ${version} was not found`);
    return protocolView(row);
  }

  /** Publishes the next version; patients already enrolled stay on theirs until moved. */
  async publish(dto: PublishProtocolDto, context: AuditContext) {
    const problems = protocolProblems(dto.visits);
    if (problems.length > 0) throw new RuleProblem('The protocol breaks the follow-up rules', problems);
    try {
      const version = await this.transactions.run(context, async (em) => {
        // Two publishers at once: the loser's insert breaks the primary key and is told to retry (below).
        const next = await nextProtocolVersion(em);
        await insertProtocol(em, {
          version: next,
          title: dto.title,
          visits: dto.visits.map((v) => ({
            code: v.code,
            label: v.label,
            anchor: v.anchor,
            offsetDays: v.offsetDays,
            windowBeforeDays: v.windowBeforeDays,
            windowAfterDays: v.windowAfterDays,
            optional: v.optional,
          })),
          notes: dto.notes ?? null,
          publishedBy: context.actor,
        });
        return next;
      });
      return this.protocol(version);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException('Another protocol version was published at the same moment: try again');
      }
      throw error;
    }
  }

  async plan(scope: SiteScope, patientId: string) {
    const em = this.dataSource.manager;
    const patient = await findPatient(em, scope, patientId);
    if (patient.countingOnlySince) throw countingOnly();
    return this.planOf(em, patient);
  }

  /**
   * Changes the plan (If-Match on the patient's version, a reason in the audit row), then replans the visits
   * in the same transaction: a move to another protocol leaves the old version's open visits `not_required`.
   */
  async changePlan(
    scope: SiteScope,
    patientId: string,
    version: number,
    dto: FollowUpPlanDto,
    context: AuditContext,
  ) {
    await this.changes.change(scope, patientId, { ...context, reason: dto.reason }, async (em, patient) => {
      const set: FollowUpFields = {};
      if (dto.protocolVersion !== undefined) {
        const exists = await protocolExists(em, dto.protocolVersion);
        if (!exists) {
          throw new RuleProblem('No such protocol', [
            { field: 'protocolVersion', reason: 'is not a published protocol version' },
          ]);
        }
        set.protocolVersion = dto.protocolVersion;
      }
      if (dto.extendedFollowUp !== undefined) set.extendedFollowUp = dto.extendedFollowUp;
      if (dto.lostToFollowUpOn !== undefined) {
        if (dto.lostToFollowUpOn !== null && dto.lostToFollowUpOn > londonDay(new Date())) {
          throw new RuleProblem('The follow-up plan breaks the timeline', [
            { field: 'lostToFollowUpOn', reason: 'is in the future' },
          ]);
        }
        set.lostToFollowUpOn = dto.lostToFollowUpOn;
      }
      const affected = await changeFollowUpFields(em, patient.id, version, set);
      if (affected !== 1) assertStaleFree('Patient', patient.version, version);
    });
    return this.plan(scope, patientId);
  }

  private async planOf(em: EntityManager, patient: Patient): Promise<FollowUpPlanView> {
    const { visits, appointments, assessments, reminders } = await followUpRecordsOf(em, patient.id);
    return {
      patientVersion: patient.version,
      protocolVersion: patient.protocolVersion,
      extendedFollowUp: patient.extendedFollowUp,
      lostToFollowUpOn: patient.lostToFollowUpOn,
      visits: visits.map((visit) => {
        const live = assessments.find((a) => a.visitId === visit.id && !a.voidedAt);
        const own = appointments.filter((a) => a.visitId === visit.id);
        const booked = own.find((a) => a.status === 'booked');
        return {
          ...visitView(visit),
          // The booked appointment outside the window, said on the visit (booked after it closed, say).
          bookedOutsideWindow: booked ? windowWarning(booked.localDate, visit) : null,
          assessment: live ? assessmentView(live) : null,
          appointments: own.map((a) => appointmentWithReminders(a, reminders, visit)),
        };
      }),
      voidedAssessments: assessments.filter((a) => a.voidedAt).map(assessmentView),
    };
  }
}
