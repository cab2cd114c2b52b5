import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  currentPatient,
  deathInstant,
  loadRecords,
  type Patient,
  type PatientChangeHook,
  type PatientRecords,
  setProtocolVersion,
  type SettledChange,
  SharedReads,
} from '../../../registry/src/index.js';
import type { FollowUpProtocol, FollowUpVisit } from '../entities.js';
import {
  plannedVisits,
  visitDates,
  visitState,
  type Anchors,
  type FollowUpEnds,
  type NotRequiredReason,
  type VisitState,
} from '../rules/visits.js';
import { londonDay } from '../../../time/src/index.js';
import { mayReplan } from '../written.js';
import {
  insertVisits,
  latestProtocolVersion,
  publishedProtocol,
  updateVisit,
  visitsOf,
  type VisitChange,
} from './visits.queries.js';

/**
 * The anchors of the default protocol: the last decannulation once every run has ended and the patient
 * came off ECMO alive (a new run makes it unknown again until that run ends), and the hospital discharge.
 */
export function anchorsOf(records: PatientRecords): Anchors {
  const runs = records.runs;
  const last = runs.at(-1);
  const decannulated =
    last !== undefined && runs.every((r) => r.endedAt !== null) && last.endReason !== 'died_on_ecmo';
  return {
    decannulation: decannulated && last.endedAt ? londonDay(last.endedAt) : null,
    discharge: records.outcome?.kind === 'discharge' ? londonDay(records.outcome.occurredAt) : null,
  };
}

export function endsOf(
  patient: Patient,
  records: PatientRecords,
  followUpDeathOn: string | null,
): FollowUpEnds {
  const death = deathInstant(records);
  const hospitalDeathOn = death ? londonDay(death) : null;
  const deathOn = [hospitalDeathOn, followUpDeathOn].filter((d): d is string => d !== null).sort()[0] ?? null;
  return {
    deathOn,
    withdrawnOn: patient.dataCollectionWithdrawnAt ? londonDay(patient.dataCollectionWithdrawnAt) : null,
    declined: patient.countingOnlySince !== null,
    lostOn: patient.lostToFollowUpOn,
  };
}

/** What the planner needs from follow-up records a later slice adds (assessments, appointments). */
export interface VisitFacts {
  /** Visits with a live (non-voided) assessment. */
  readonly completed: ReadonlySet<string>;
  /** Visits with a live appointment. */
  readonly booked: ReadonlySet<string>;
  /** A death recorded at a follow-up visit (London day), if any. */
  readonly deathOn: string | null;
}

/** What the planner settled for a patient, handed to the work that follows from it (reminders). */
export interface PlanSettled {
  readonly patient: Patient;
  readonly records: PatientRecords;
  readonly ends: FollowUpEnds;
  readonly now: Date;
  readonly reads: SharedReads;
  /** Each of the patient's visits (by id) as the replan left it; a visit added by this replan is not in it. */
  readonly visits: ReadonlyMap<string, VisitState>;
}

/** What a replan's caller may already hold (the clock holds nothing; a settled change, all three). */
export interface ReplanGiven {
  /** The patient's live records. */
  readonly records?: PatientRecords;
  /** The patient row, locked by the caller and not written since. */
  readonly patient?: Patient;
  /** Reads shared with the other hooks of the change. */
  readonly reads?: SharedReads;
}

/** A source of facts about the visits (assessments, appointments), reading through `reads`. */
export type VisitFactSource = (
  em: EntityManager,
  patientId: string,
  reads: SharedReads,
) => Promise<Partial<VisitFacts>>;

/** Work that runs after every replan, in the same transaction (the reminder planner). */
export interface PlanFollower {
  afterPlan(em: EntityManager, settled: PlanSettled): Promise<void>;
}

/**
 * Plans a patient's follow-up visits from the settled record (domain guide §4) and keeps them in step: the
 * visits of the patient's protocol appear once an anchor is known, their days follow the anchors, their
 * state follows the clock and the patient's course; visits of another protocol version, or optional ones no
 * longer planned, become `not_required` (never deleted). Runs inside the caller's transaction, the patient
 * row locked; writes only the visits that changed (each write bumps the visit's version, audited).
 */
@Injectable()
export class FollowUpPlanner implements PatientChangeHook {
  /** Replaced by the assessment and appointment slices, which know which visits are done or booked. */
  private readonly factSources: VisitFactSource[] = [];

  private readonly followers: PlanFollower[] = [];

  private readonly protocols = new Map<number, FollowUpProtocol>();

  addFactSource(source: VisitFactSource): void {
    this.factSources.push(source);
  }

  /** `first`: before the others (the appointments, whose cancellations the reminders then follow). */
  addFollower(follower: PlanFollower, options: { first?: boolean } = {}): void {
    if (options.first) this.followers.unshift(follower);
    else this.followers.push(follower);
  }

  async afterChange(
    em: EntityManager,
    { patientId, now, records, wrote, reads }: SettledChange,
  ): Promise<void> {
    if (!mayReplan(wrote?.kind ?? null)) return;
    await this.replan(em, patientId, now, { records, patient: wrote?.patient, reads });
  }

  async replan(em: EntityManager, patientId: string, now: Date, given: ReplanGiven = {}): Promise<void> {
    const reads = given.reads ?? new SharedReads();
    const patient = given.patient ?? (await currentPatient(em, patientId));
    if (patient.protocolVersion === null) {
      // Enrolment: the patient stays on the latest published version unless moved explicitly.
      const latest = await latestProtocolVersion(em);
      patient.protocolVersion = latest;
      await setProtocolVersion(em, patientId, latest);
    }
    const protocol = await this.protocol(em, patient.protocolVersion);
    const records = given.records ?? (await loadRecords(em, patientId));
    const facts = await this.facts(em, patientId, reads);
    const anchors = anchorsOf(records);
    const ends = endsOf(patient, records, facts.deathOn);
    const today = londonDay(now);
    const existing = await visitsOf(em, patientId);
    const find = (version: number, code: string) =>
      existing.find((v) => v.protocolVersion === version && v.code === code);

    let planned = plannedVisits(protocol.visits, anchors, patient.extendedFollowUp);
    // Once planned, a visit of the current protocol stays (undated if its anchor goes away again).
    if (planned.length === 0) {
      planned = protocol.visits.filter((v) => find(protocol.version, v.code) !== undefined);
    }
    const kept = new Set<FollowUpVisit>();
    const visits = new Map<string, VisitState>();
    const added: Array<Partial<FollowUpVisit>> = [];
    for (const definition of planned) {
      const sequence = protocol.visits.indexOf(definition) + 1;
      const dates = visitDates(definition, anchors);
      const row = find(protocol.version, definition.code);
      if (row) kept.add(row);
      // A completed visit keeps the days it was done against.
      const completed = row !== undefined && facts.completed.has(row.id);
      const state = visitState(
        completed ? { dueOn: row.dueOn, opensOn: row.opensOn, closesOn: row.closesOn } : dates,
        { completed, booked: row !== undefined && facts.booked.has(row.id) },
        ends,
        today,
      );
      const next = {
        label: definition.label,
        sequence,
        anchor: definition.anchor,
        ...(completed ? {} : { dueOn: dates.dueOn, opensOn: dates.opensOn, closesOn: dates.closesOn }),
        status: state.status,
        statusReason: state.reason,
      };
      if (row) visits.set(row.id, state);
      if (!row) {
        added.push({
          patientId,
          protocolVersion: protocol.version,
          code: definition.code,
          ...next,
          version: 1,
        });
      } else {
        await this.updateIfChanged(em, row, next);
      }
    }
    // The new visits in one statement (a patient's first plan adds all of them).
    await insertVisits(em, added);
    for (const row of existing) {
      if (kept.has(row)) continue;
      if (facts.completed.has(row.id)) {
        visits.set(row.id, { status: row.status, reason: row.statusReason });
        continue;
      }
      const reason: NotRequiredReason =
        row.protocolVersion === protocol.version ? 'not_planned' : 'protocol_changed';
      visits.set(row.id, { status: 'not_required', reason });
      await this.updateIfChanged(em, row, { status: 'not_required', statusReason: reason });
    }
    for (const follower of this.followers) {
      await follower.afterPlan(em, { patient, records, ends, now, reads, visits });
    }
  }

  /** A published protocol, read once per version: published ones never change (UPDATE is revoked). */
  private async protocol(em: EntityManager, version: number): Promise<FollowUpProtocol> {
    let protocol = this.protocols.get(version);
    if (!protocol) {
      protocol = await publishedProtocol(em, version);
      this.protocols.set(version, protocol);
    }
    return protocol;
  }

  private async facts(em: EntityManager, patientId: string, reads: SharedReads): Promise<VisitFacts> {
    const completed = new Set<string>();
    const booked = new Set<string>();
    let deathOn: string | null = null;
    for (const source of this.factSources) {
      const part = await source(em, patientId, reads);
      part.completed?.forEach((id) => completed.add(id));
      part.booked?.forEach((id) => booked.add(id));
      if (part.deathOn && (deathOn === null || part.deathOn < deathOn)) deathOn = part.deathOn;
    }
    return { completed, booked, deathOn };
  }

  private async updateIfChanged(em: EntityManager, row: FollowUpVisit, next: VisitChange): Promise<void> {
    const changed = (Object.keys(next) as Array<keyof typeof next>).some((k) => row[k] !== next[k]);
    if (!changed) return;
    await updateVisit(em, row.id, next);
  }
}
