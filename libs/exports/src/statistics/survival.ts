import { Z_95 } from './proportions.js';

/** One subject's follow-up: time from the origin, and whether it ended in the event (else censored). */
export interface SurvivalObservation {
  readonly time: number;
  readonly event: boolean;
}

/** The curve just after one distinct time at which something happened. */
export interface SurvivalStep {
  readonly time: number;
  /** Subjects still followed just before `time` (censored at `time` count as at risk). */
  readonly atRisk: number;
  readonly events: number;
  readonly censored: number;
  readonly survival: number;
  /** Greenwood standard error of the survival estimate. */
  readonly standardError: number;
  /** Log-log (complementary log-log) 95% interval; null where undefined (survival 1 or 0). */
  readonly lower: number | null;
  readonly upper: number | null;
}

export interface SurvivalCurve {
  readonly n: number;
  readonly events: number;
  readonly steps: readonly SurvivalStep[];
}

/**
 * The Kaplan–Meier estimate (product limit) with Greenwood's variance and the log-log interval, as R's
 * survival::survfit(conf.type = "log-log") computes them: S(t) = Π (1 − d/n);
 * Var(log S) = Σ d / (n (n − d)); the interval is S^exp(±z·se), se = √Var(log S) / |log S|.
 * At a time with both events and censorings, the censored subjects are at risk for those events.
 */
export function kaplanMeier(observations: readonly SurvivalObservation[], z = Z_95): SurvivalCurve {
  for (const o of observations) {
    if (!(o.time >= 0) || !Number.isFinite(o.time)) throw new RangeError(`time must be a finite number ≥ 0`);
  }
  const byTime = new Map<number, { events: number; censored: number }>();
  for (const o of observations) {
    const entry = byTime.get(o.time) ?? { events: 0, censored: 0 };
    if (o.event) entry.events += 1;
    else entry.censored += 1;
    byTime.set(o.time, entry);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  let atRisk = observations.length;
  let survival = 1;
  let greenwood = 0;
  let totalEvents = 0;
  const steps: SurvivalStep[] = [];
  for (const time of times) {
    const { events, censored } = byTime.get(time)!;
    if (events > 0) {
      survival *= 1 - events / atRisk;
      greenwood = atRisk === events ? Infinity : greenwood + events / (atRisk * (atRisk - events));
      totalEvents += events;
    }
    const standardError = Number.isFinite(greenwood) ? survival * Math.sqrt(greenwood) : 0;
    let lower: number | null = null;
    let upper: number | null = null;
    if (survival > 0 && survival < 1 && Number.isFinite(greenwood)) {
      const se = Math.sqrt(greenwood) / Math.abs(Math.log(survival));
      lower = survival ** Math.exp(z * se);
      upper = survival ** Math.exp(-z * se);
    }
    steps.push({ time, atRisk, events, censored, survival, standardError, lower, upper });
    atRisk -= events + censored;
  }
  return { n: observations.length, events: totalEvents, steps };
}

/** The curve's value at time t (a step function, right-continuous): the last step at or before t. */
export function survivalAt(
  curve: SurvivalCurve,
  t: number,
): { survival: number; lower: number | null; upper: number | null } {
  let found: SurvivalStep | undefined;
  for (const step of curve.steps) {
    if (step.time > t) break;
    if (step.events > 0) found = step;
  }
  return found
    ? { survival: found.survival, lower: found.lower, upper: found.upper }
    : { survival: 1, lower: null, upper: null };
}

/** Subjects at risk at time t (followed for at least t): the "numbers at risk" under a plotted curve. */
export function atRiskAt(observations: readonly SurvivalObservation[], t: number): number {
  return observations.filter((o) => o.time >= t).length;
}
