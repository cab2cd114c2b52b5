/**
 * The order of a patient's clinical timeline (issue 4, domain guide §3): operation ≤ ECMO start < ECMO end ≤
 * discharge or death; complications dated within it; death ends it. Pure functions over the non-voided
 * records: the service checks the whole timeline after every change, inside the change's transaction, so a
 * correction or a void that would break it is refused as surely as a new record.
 */
import { assertInstant, londonDay } from '../../../time/src/index.js';

export interface TimelineRun {
  readonly id: string;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
}

export interface TimelineFacts {
  /** The index operation's calendar date (`YYYY-MM-DD`), or null while none is recorded. */
  readonly operationDate: string | null;
  readonly runs: readonly TimelineRun[];
  readonly complications: readonly {
    readonly id: string;
    readonly onsetAt: Date;
    readonly ecmoRunId: string | null;
  }[];
  readonly outcome: { readonly kind: 'discharge' | 'death'; readonly occurredAt: Date } | null;
}

export interface TimelineProblem {
  /** The record field to correct: `operation.operationDate`, `ecmoRun.endedAt`, `complication.onsetAt`, … */
  readonly field: string;
  readonly reason: string;
  /** The record concerned (a run's or complication's id), when there is one. */
  readonly recordId?: string;
}

/**
 * A clinical record may not be dated in the future; five minutes absorb clock differences between a ward
 * computer and the server.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * When the patient died, as far as the record says: the hospital outcome's death, or the end of a run that
 * ended with `died_on_ecmo` (whichever is earlier); null when no death is recorded. A run ended by withdrawal
 * of care for futility is not itself a death instant: death follows decannulation, at a time the outcome
 * records.
 */
export function deathInstant(facts: Pick<TimelineFacts, 'runs' | 'outcome'>): Date | null {
  const candidates: number[] = [];
  if (facts.outcome?.kind === 'death') candidates.push(facts.outcome.occurredAt.getTime());
  for (const run of facts.runs) {
    if (run.endReason === 'died_on_ecmo' && run.endedAt) candidates.push(run.endedAt.getTime());
  }
  return candidates.length === 0 ? null : new Date(Math.min(...candidates));
}

/**
 * Every way the timeline breaks its order, in a stable order (operation, runs by start, complications, the
 * outcome); empty when it holds. `now` is the server's clock, against which nothing may be in the future.
 */
export function timelineProblems(facts: TimelineFacts, now: Date): TimelineProblem[] {
  assertInstant(now, 'now');
  const problems: TimelineProblem[] = [];
  const latest = now.getTime() + FUTURE_TOLERANCE_MS;
  const today = londonDay(new Date(latest));
  const runs = [...facts.runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const death = deathInstant(facts);
  const outcomeAt = facts.outcome?.occurredAt ?? null;
  const future = (field: string, at: Date, recordId?: string): void => {
    if (at.getTime() > latest) problems.push({ field, reason: 'is in the future', recordId });
  };

  if (facts.operationDate !== null && facts.operationDate > today) {
    problems.push({ field: 'operation.operationDate', reason: 'is in the future' });
  }

  runs.forEach((run, index) => {
    const name = `ECMO run ${index + 1}`;
    future('ecmoRun.startedAt', run.startedAt, run.id);
    if (run.endedAt) future('ecmoRun.endedAt', run.endedAt, run.id);
    if (facts.operationDate !== null && londonDay(run.startedAt) < facts.operationDate) {
      problems.push({
        field: 'ecmoRun.startedAt',
        reason: `${name} starts before the index operation (${facts.operationDate})`,
        recordId: run.id,
      });
    }
    if (run.endedAt && run.endedAt.getTime() <= run.startedAt.getTime()) {
      problems.push({
        field: 'ecmoRun.endedAt',
        reason: `${name} must end after it starts`,
        recordId: run.id,
      });
    }
    if ((run.endedAt === null) !== (run.endReason === null)) {
      problems.push({
        field: run.endedAt === null ? 'ecmoRun.endedAt' : 'ecmoRun.endReason',
        reason: `${name}: the end instant and the end reason are recorded together`,
        recordId: run.id,
      });
    }
    const next = runs[index + 1];
    if (next && (run.endedAt === null || run.endedAt.getTime() > next.startedAt.getTime())) {
      problems.push({
        field: 'ecmoRun.startedAt',
        reason: `ECMO run ${index + 2} starts before ${name} ends (runs cannot overlap)`,
        recordId: next.id,
      });
    }
    if (death && run.startedAt.getTime() >= death.getTime()) {
      problems.push({
        field: 'ecmoRun.startedAt',
        reason: `${name} starts after the patient's death`,
        recordId: run.id,
      });
    }
    if (outcomeAt && (run.endedAt === null || run.endedAt.getTime() > outcomeAt.getTime())) {
      problems.push({
        field: run.endedAt === null ? 'ecmoRun.endedAt' : 'outcome.occurredAt',
        reason: `${name} must end at or before the hospital ${facts.outcome?.kind}`,
        recordId: run.id,
      });
    }
  });

  const runsById = new Map(runs.map((run, index) => [run.id, { run, index }]));
  for (const complication of facts.complications) {
    const id = complication.id;
    future('complication.onsetAt', complication.onsetAt, id);
    if (facts.operationDate !== null && londonDay(complication.onsetAt) < facts.operationDate) {
      problems.push({
        field: 'complication.onsetAt',
        reason: 'is before the index operation',
        recordId: id,
      });
    }
    if (death && complication.onsetAt.getTime() > death.getTime()) {
      problems.push({ field: 'complication.onsetAt', reason: "is after the patient's death", recordId: id });
    } else if (outcomeAt && complication.onsetAt.getTime() > outcomeAt.getTime()) {
      problems.push({
        field: 'complication.onsetAt',
        reason: 'is after the hospital discharge',
        recordId: id,
      });
    }
    if (complication.ecmoRunId !== null) {
      const on = runsById.get(complication.ecmoRunId);
      if (!on) {
        problems.push({
          field: 'complication.ecmoRunId',
          reason: 'is not an ECMO run of this patient',
          recordId: id,
        });
      } else if (
        complication.onsetAt.getTime() < on.run.startedAt.getTime() ||
        (on.run.endedAt !== null && complication.onsetAt.getTime() > on.run.endedAt.getTime())
      ) {
        problems.push({
          field: 'complication.onsetAt',
          reason: `is outside ECMO run ${on.index + 1}, which it is recorded on`,
          recordId: id,
        });
      }
    }
  }

  if (facts.outcome) {
    future('outcome.occurredAt', facts.outcome.occurredAt);
    if (facts.operationDate !== null && londonDay(facts.outcome.occurredAt) < facts.operationDate) {
      problems.push({ field: 'outcome.occurredAt', reason: 'is before the index operation' });
    }
    const diedOnEcmo = runs.find((run) => run.endReason === 'died_on_ecmo');
    if (diedOnEcmo && facts.outcome.kind === 'discharge') {
      problems.push({
        field: 'outcome.kind',
        reason: 'the patient died on ECMO: the hospital outcome is a death',
      });
    }
  }
  return problems;
}

/**
 * Withdrawal level (b) (domain guide §3 item 3): no clinical data dated after the withdrawal. Whether a
 * record's date falls after it: instants compare exactly, a calendar date (the operation's) by London day.
 */
export function datedAfterWithdrawal(dated: Date | string, withdrawnAt: Date): boolean {
  if (typeof dated === 'string') return dated > londonDay(withdrawnAt);
  return dated.getTime() > withdrawnAt.getTime();
}
