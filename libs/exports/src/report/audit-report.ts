import {
  protectTable,
  SUPPRESSED,
  type DisclosureRules,
  type Position,
  type ProtectedTable,
  type Shown,
} from '../disclosure/suppression.js';
import { DAY_MS } from '../../../time/src/index.js';
import {
  atRiskAt,
  kaplanMeier,
  medianIqr,
  poissonRate,
  survivalAt,
  wilson,
  type MedianIqr,
  type Proportion,
  type Rate,
  type SurvivalObservation,
} from '../statistics/index.js';
import type { CutOff } from '../dataset/tables.js';
import type { PatientFacts } from './facts.js';

/** To 4 decimal places, as the report publishes estimates (the precision the statistics are checked to). */
/** The order sites are listed in, the same on every machine. */
const SITE_ORDER = new Intl.Collator('en', { numeric: true });

export function round4(x: number): number;
export function round4(x: number | null | undefined): number | null;
export function round4(x: number | null | undefined): number | null {
  return x === null || x === undefined ? null : Math.round(x * 1e4) / 1e4;
}

/** Ends of a run in which the patient did not come off ECMO alive. */
const DIED_ON_ECMO = ['died_on_ecmo', 'withdrawn_futility'];
/** Ends that say nothing of survival to decannulation here (the patient left on ECMO). */
const UNKNOWN_END = ['transferred_on_ecmo'];
const YEAR_DAYS = 365;
/** Times (days) at which the survival curves are summarised in the tables. */
export const SURVIVAL_TIMES = [30, 90, 180, 365] as const;

export interface ReportOptions {
  readonly cut: CutOff;
  /** External profile: sub-national cells protected by these rules; null in the internal profile. */
  readonly disclosure: DisclosureRules | null;
  /** Standard (percent) of the follow-up criterion. */
  readonly followUpStandard: number;
  /** Cells to suppress as well, by table id, as positions of its table with margins (`publishedReport`). */
  readonly forced?: ReadonlyMap<string, readonly Position[]>;
  /** Tables whose sub-national cells are not published at all (`publishedReport`). */
  readonly withhold?: ReadonlySet<string>;
  /** Tables already protected, shared by a search that builds the report many times (`publishedReport`). */
  readonly memo?: Map<string, ProtectedTable>;
}

/** A proportion as published: counts maybe suppressed or rounded, the interval hidden with its count. */
export interface ShownProportion {
  readonly numerator: Shown;
  readonly denominator: Shown;
  readonly estimate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

export interface SiteProportions {
  readonly measure: string;
  readonly label: string;
  readonly sites: readonly ({ readonly site: string } & ShownProportion)[];
  readonly overall: Proportion;
  /** Patients left out of the denominator, and why (e.g. still in hospital at the cut-off). */
  readonly excluded: Readonly<Record<string, number>>;
}

export interface CriterionRow extends ShownProportion {
  readonly criterion: string;
  readonly label: string;
  readonly site: string;
  /** Expected standard in percent; null for a criterion reported without a standard. */
  readonly standard: number | null;
  /** Whether the result meets the standard; null without a standard or a result. */
  readonly met: boolean | null;
}

export interface SurvivalSummary {
  readonly origin: string;
  readonly n: number;
  readonly events: number;
  readonly steps: readonly {
    time: number;
    atRisk: number;
    events: number;
    censored: number;
    survival: number;
    lower: number | null;
    upper: number | null;
  }[];
  /** The curve at 30, 90, 180 and 365 days; survival null past the longest follow-up. */
  readonly at: readonly {
    days: number;
    atRisk: number;
    survival: number | null;
    lower: number | null;
    upper: number | null;
  }[];
}

export interface AuditReport {
  readonly cutOff: string;
  readonly disclosure: DisclosureRules | null;
  /** Tables (by id: `treated`, a measure or a criterion) whose figures by site are not published. */
  readonly withheld: readonly string[];
  readonly treated: {
    readonly periods: readonly string[];
    readonly sites: readonly {
      readonly site: string;
      /** By year: exact in the internal profile; empty where protected (the site's total only). */
      readonly byPeriod: readonly Shown[];
      readonly total: Shown;
    }[];
    /** National, by year: exact. */
    readonly byPeriod: readonly number[];
    readonly total: number;
    readonly countingOnly: number;
  };
  readonly outcomes: readonly SiteProportions[];
  readonly survival: readonly SurvivalSummary[];
  readonly complications: {
    readonly patients: number;
    readonly ecmoDays: number;
    readonly byGroup: readonly ComplicationRow[];
    readonly byCode: readonly ComplicationRow[];
  };
  readonly ecmoDurationHours: MedianIqr;
  readonly followUp: readonly FollowUpRow[];
  readonly criteria: readonly CriterionRow[];
}

export interface ComplicationRow {
  readonly group: string;
  readonly code: string | null;
  readonly patients: Proportion;
  readonly events: number;
  readonly perThousandEcmoDays: Rate;
}

export interface FollowUpRow {
  readonly visit: string;
  readonly completed: number;
  /** Alive, due (window closed by the cut-off) and not withdrawn: the denominator of completeness. */
  readonly due: number;
  readonly completeness: Proportion;
  readonly deaths: number;
  readonly withdrawals: number;
  readonly lost: number;
}

interface Survival {
  /** Earliest recorded death, ms. */
  readonly deathAt: number | null;
  /** Latest moment known alive, ms. */
  readonly aliveAt: number;
}

/** Death and last-known-alive from what the registry holds, never past the cut-off. */
function survivalOf(p: PatientFacts, cutOffEndsAt: number): Survival {
  const deaths: number[] = [];
  const alive: number[] = [p.startedAt];
  if (p.outcome === 'death' && p.outcomeAt !== null) deaths.push(p.outcomeAt);
  if (p.outcome === 'discharge' && p.outcomeAt !== null) alive.push(p.outcomeAt);
  for (const run of p.runs) {
    if (run.endedAt === null) alive.push(cutOffEndsAt);
    else if (run.endReason !== null && DIED_ON_ECMO.includes(run.endReason)) deaths.push(run.endedAt);
    else alive.push(run.endedAt);
  }
  if (p.assessedDeathAt !== null) deaths.push(p.assessedDeathAt);
  if (p.assessedAliveAt !== null) alive.push(p.assessedAliveAt);
  const deathAt = deaths.length > 0 ? Math.min(...deaths) : null;
  return { deathAt, aliveAt: Math.min(Math.max(...alive), cutOffEndsAt) };
}

/** Time to death within a year of `origin`, censored at the last moment known alive (or at one year). */
function observation(origin: number, s: Survival): SurvivalObservation {
  if (s.deathAt !== null) {
    const days = Math.max(0, (s.deathAt - origin) / DAY_MS);
    return days <= YEAR_DAYS ? { time: days, event: true } : { time: YEAR_DAYS, event: false };
  }
  return { time: Math.min(YEAR_DAYS, Math.max(0, (s.aliveAt - origin) / DAY_MS)), event: false };
}

function summarise(origin: string, observations: readonly SurvivalObservation[]): SurvivalSummary {
  const curve = kaplanMeier(observations);
  const lastTime = Math.max(0, ...observations.map((o) => o.time));
  return {
    origin,
    n: curve.n,
    events: curve.events,
    steps: curve.steps.map((s) => ({
      time: Math.round(s.time * 100) / 100,
      atRisk: s.atRisk,
      events: s.events,
      censored: s.censored,
      survival: round4(s.survival),
      lower: round4(s.lower),
      upper: round4(s.upper),
    })),
    at: SURVIVAL_TIMES.map((days) => {
      // Beyond the longest follow-up the curve says nothing (R's summary.survfit leaves such times out).
      const point = days <= lastTime ? survivalAt(curve, days) : { survival: null, lower: null, upper: null };
      return {
        days,
        atRisk: atRiskAt(observations, days),
        survival: round4(point.survival),
        lower: round4(point.lower),
        upper: round4(point.upper),
      };
    }),
  };
}

/** The report's tables of sites as they are built, each protected once. */
interface Tables {
  readonly disclosure: DisclosureRules | null;
  readonly sites: readonly string[];
  /** Table id (`treated`, a measure or a criterion) → how it is published. */
  readonly built: Map<string, ProtectedTable>;
  /** Table id → its exact counts (rows: sites), as protected. */
  readonly counts: Map<string, readonly (readonly number[])[]>;
  readonly forced: ReadonlyMap<string, readonly Position[]>;
  readonly withhold: ReadonlySet<string>;
  readonly memo: Map<string, ProtectedTable>;
}

/** Protects a table of sites (once per id: a measure printed twice is published the same way twice). */
function protect(
  tables: Tables,
  id: string,
  counts: readonly (readonly number[])[],
  disclosure: DisclosureRules,
): ProtectedTable {
  // Every national figure is printed exactly elsewhere in the report: none may serve as a complement.
  const options = { forced: tables.forced.get(id), withhold: tables.withhold.has(id), nationalExact: true };
  const key = JSON.stringify([counts, disclosure, options]);
  const shown = tables.built.get(id) ?? tables.memo.get(key) ?? protectTable(counts, disclosure, options);
  tables.memo.set(key, shown);
  tables.built.set(id, shown);
  tables.counts.set(id, counts);
  return shown;
}

/**
 * Sub-national counts as published. Internal profile: exact. Otherwise the table of sites × (yes, no) goes
 * through disclosure control (small counts starred, others rounded, secondary suppression so no star can be
 * worked out), and a site's estimate and interval are computed from its published counts: hidden when one
 * of its counts is starred, from the rounded counts otherwise (an interval from the exact counts would give
 * them back).
 */
function shownBySite(
  tables: Tables,
  id: string,
  rows: readonly SiteCounts[],
): ({ site: string } & ShownProportion)[] {
  const disclosure = tables.disclosure;
  if (!disclosure || rows.length === 0) {
    return rows.map((r) => ({ site: r.site, ...wilson(r.numerator, r.denominator) }));
  }
  const table = protect(
    tables,
    id,
    rows.map((r) => [r.numerator, r.denominator - r.numerator]),
    disclosure,
  );
  return rows.map((r, i) => {
    const numerator = table.withheld ? SUPPRESSED : table.cells[i][0];
    const denominator = table.withheld ? SUPPRESSED : table.rowTotals[i];
    const hidden = numerator === SUPPRESSED || table.cells[i][1] === SUPPRESSED || denominator === SUPPRESSED;
    const published = hidden ? null : wilson(numerator, denominator);
    return {
      site: r.site,
      numerator,
      denominator,
      estimate: published?.estimate ?? null,
      lower: published?.lower ?? null,
      upper: published?.upper ?? null,
    };
  });
}

interface SiteCounts {
  readonly site: string;
  readonly numerator: number;
  readonly denominator: number;
}

/**
 * Adds up each patient's [numerator, denominator] contribution per site (every site listed, even at 0/0),
 * and overall: the counting behind every proportion and criterion of the report.
 */
function tallyBySite(
  patients: readonly PatientFacts[],
  sites: readonly string[],
  count: (p: PatientFacts) => readonly [number, number],
): { perSite: SiteCounts[]; overall: Proportion } {
  const totals = new Map(sites.map((site) => [site, { site, numerator: 0, denominator: 0 }]));
  for (const p of patients) {
    const [numerator, denominator] = count(p);
    const t = totals.get(p.site)!;
    t.numerator += numerator;
    t.denominator += denominator;
  }
  const perSite = [...totals.values()];
  const overall = wilson(
    perSite.reduce((n, r) => n + r.numerator, 0),
    perSite.reduce((n, r) => n + r.denominator, 0),
  );
  return { perSite, overall };
}

/** A yes/no/unknown measure per patient, by site and overall. */
function proportions(
  tables: Tables,
  measure: string,
  label: string,
  facts: readonly PatientFacts[],
  judge: (p: PatientFacts) => boolean | string,
): SiteProportions {
  const excluded: Record<string, number> = {};
  const { perSite, overall } = tallyBySite(facts, tables.sites, (p) => {
    const verdict = judge(p);
    if (typeof verdict !== 'string') return [verdict ? 1 : 0, 1];
    excluded[verdict] = (excluded[verdict] ?? 0) + 1;
    return [0, 0];
  });
  return { measure, label, sites: shownBySite(tables, measure, perSite), overall, excluded };
}

/**
 * The aggregate audit report of domain guide §5, from one snapshot's facts: plain arithmetic over the
 * statistics and disclosure functions, so the same facts always give the same report.
 *
 * Patients kept only as a count (declined; withdrawn at level c) count in the treated totals and in survival
 * to discharge, and in nothing else.
 */
export function auditReport(all: readonly PatientFacts[], options: ReportOptions): AuditReport {
  return buildReport(all, options).report;
}

/** The report, and its tables of sites as protected: exact counts and shown cells by table id. */
export function buildReport(
  all: readonly PatientFacts[],
  options: ReportOptions,
  /** tables: the tables of sites only (curves and complications left empty), for a disclosure check. */
  scope: 'whole' | 'tables' = 'whole',
): {
  report: AuditReport;
  tables: ReadonlyMap<string, { counts: readonly (readonly number[])[]; shown: ProtectedTable }>;
} {
  const cutOffEndsAt = options.cut.endsAt.getTime();
  const full = all.filter((p) => !p.countingOnly);
  // SYN2 before SYN10: digits in a site code compare as numbers.
  const sites = [...new Set(all.map((p) => p.site))].sort(SITE_ORDER.compare);
  const survival = new Map(full.map((p) => [p, survivalOf(p, cutOffEndsAt)]));
  const tables: Tables = {
    disclosure: options.disclosure,
    sites,
    built: new Map(),
    counts: new Map(),
    forced: options.forced ?? new Map(),
    withhold: options.withhold ?? new Set(),
    memo: options.memo ?? new Map<string, ProtectedTable>(),
  };

  // Treated, by site and year of ECMO start: everyone, whatever their consent. Published by site in all
  // years together only: a small site's count split over years would be stars known to add up to ≥ 2.
  const periods = [...new Set(all.map((p) => p.startYear))].sort();
  const counts = sites.map((site) =>
    periods.map((year) => all.filter((p) => p.site === site && p.startYear === year).length),
  );
  const siteTotals = counts.map((row) => [row.reduce((a, b) => a + b, 0)]);
  const treatedTable = options.disclosure ? protect(tables, 'treated', siteTotals, options.disclosure) : null;
  const hide = treatedTable?.withheld === true;
  const treated = {
    periods,
    sites: sites.map((site, i) => ({
      site,
      byPeriod: treatedTable ? [] : counts[i],
      total: hide ? SUPPRESSED : (treatedTable?.rowTotals[i] ?? siteTotals[i][0]),
    })),
    byPeriod: periods.map((_, j) => counts.reduce((n, row) => n + row[j], 0)),
    total: all.length,
    countingOnly: all.length - full.length,
  };

  const outcomes: SiteProportions[] = [
    proportions(
      tables,
      'survival_to_decannulation',
      'Alive at decannulation (last run ended, not by death or withdrawal of care)',
      full,
      (p) => {
        const last = p.runs[p.runs.length - 1];
        if (!last || p.runs.some((r) => r.endedAt === null)) return 'still on ECMO at the cut-off';
        if (last.endReason !== null && UNKNOWN_END.includes(last.endReason)) return 'transferred on ECMO';
        return !DIED_ON_ECMO.includes(last.endReason ?? '');
      },
    ),
    proportions(
      tables,
      'survival_to_discharge',
      'Alive at hospital discharge (all treated patients, declined and withdrawn included)',
      all,
      (p) => (p.outcome === null ? 'in hospital at the cut-off' : p.outcome === 'discharge'),
    ),
    proportions(tables, 'survival_30_days', 'Alive 30 days after the start of ECMO', full, (p) => {
      const s = survival.get(p)!;
      const day30 = p.startedAt + 30 * DAY_MS;
      if (s.deathAt !== null && s.deathAt <= day30) return false;
      if (s.aliveAt >= day30) return true;
      return day30 > cutOffEndsAt
        ? 'started less than 30 days before the cut-off'
        : 'not known alive at 30 days';
    }),
  ];

  const fromStart = full.map((p) => observation(p.startedAt, survival.get(p)!));
  const fromDischarge = full
    .filter((p) => p.outcome === 'discharge' && p.outcomeAt !== null)
    .map((p) => observation(p.outcomeAt!, survival.get(p)!));
  const survivalCurves =
    scope === 'tables'
      ? []
      : [summarise('ecmo_start', fromStart), summarise('hospital_discharge', fromDischarge)];

  const ecmoDays =
    full.reduce(
      (days, p) => days + p.runs.reduce((ms, r) => ms + ((r.endedAt ?? cutOffEndsAt) - r.startedAt), 0),
      0,
    ) / DAY_MS;
  const complicationRows = (key: (c: { group: string; code: string }) => string, withCode: boolean) => {
    if (scope === 'tables') return [];
    const keys = [...new Set(full.flatMap((p) => p.complications.map(key)))].sort();
    return keys.map((k): ComplicationRow => {
      const patients = full.filter((p) => p.complications.some((c) => key(c) === k)).length;
      const events = full.reduce(
        (n, p) => n + p.complications.filter((c) => key(c) === k && c.onEcmo).length,
        0,
      );
      const sample = full.flatMap((p) => p.complications).find((c) => key(c) === k)!;
      return {
        group: sample.group,
        code: withCode ? sample.code : null,
        patients: wilson(patients, full.length),
        events,
        perThousandEcmoDays: poissonRate(events, ecmoDays, 1000),
      };
    });
  };

  const durations = full
    .filter((p) => p.runs.length > 0 && p.runs.every((r) => r.endedAt !== null))
    .map((p) => p.runs.reduce((h, r) => h + (r.endedAt! - r.startedAt) / 3_600_000, 0));

  const visitCodes = [...new Set(full.flatMap((p) => p.visits.map((v) => v.code)))];
  const followUp = visitCodes.map((visit): FollowUpRow => {
    let completed = 0;
    let due = 0;
    let deaths = 0;
    let withdrawals = 0;
    let lost = 0;
    for (const p of full) {
      for (const v of p.visits.filter((x) => x.code === visit)) {
        if (v.completed) {
          completed++;
          due++;
        } else if (v.status === 'not_required' && v.reason === 'death') deaths++;
        else if (v.status === 'not_required' && (v.reason === 'withdrawal' || v.reason === 'declined'))
          withdrawals++;
        else if (v.status === 'lost_to_follow_up' || v.reason === 'lost_to_follow_up') lost++;
        else if (v.status !== 'not_required' && v.windowClosed) due++;
      }
    }
    return { visit, completed, due, completeness: wilson(completed, due), deaths, withdrawals, lost };
  });

  const criteriaRows = criteria(tables, full, all, visitCodes, options);
  const report: AuditReport = {
    cutOff: options.cut.date,
    disclosure: options.disclosure,
    withheld: [...tables.built].filter(([, t]) => t.withheld).map(([id]) => id),
    treated,
    outcomes,
    survival: survivalCurves,
    complications: {
      patients: full.length,
      ecmoDays: Math.round(ecmoDays * 100) / 100,
      byGroup: complicationRows((c) => c.group, false),
      byCode: complicationRows((c) => `${c.group}/${c.code}`, true),
    },
    ecmoDurationHours: medianIqr(durations),
    followUp,
    criteria: criteriaRows,
  };
  return {
    report,
    tables: new Map([...tables.built].map(([id, shown]) => [id, { counts: tables.counts.get(id)!, shown }])),
  };
}

interface CriterionSpec {
  readonly criterion: string;
  readonly label: string;
  readonly standard: number | null;
  /** Per patient: [numerator, denominator] contributions. */
  readonly count: (p: PatientFacts) => readonly [number, number];
  /** Who it is counted over: patients with full data, or every treated patient. */
  readonly over: 'full' | 'all';
}

/**
 * The audit criteria table (domain guide §5), in the form of NICE's interventional-procedure audit tools:
 * criterion, numerator, denominator, result, expected standard, met — per site and overall.
 */
function criteria(
  tables: Tables,
  full: readonly PatientFacts[],
  all: readonly PatientFacts[],
  visitCodes: readonly string[],
  options: ReportOptions,
): CriterionRow[] {
  const specs: CriterionSpec[] = [
    {
      criterion: 'consent_documented',
      label: 'Consent process documented (consent, or emergency enrolment then consultee advice)',
      standard: 100,
      over: 'full',
      count: (p) => [p.consentDocumented ? 1 : 0, 1],
    },
    {
      criterion: 'mdt_decision_recorded',
      label:
        'MDT selection decision recorded (before start, or within 24 h of an emergency start in theatre)',
      standard: 100,
      over: 'full',
      count: (p) => [p.mdtDecisionTimely ? 1 : 0, 1],
    },
    {
      criterion: 'pre_ecmo_state_recorded',
      label: 'Pre-ECMO lactate and cardiac-arrest status recorded (per ECMO run)',
      standard: 100,
      over: 'full',
      count: (p) => [p.runs.filter((r) => r.lactateAndArrestRecorded).length, p.runs.length],
    },
    {
      criterion: 'complications_dated_graded',
      label: 'Every complication dated and graded (per complication)',
      standard: 100,
      over: 'full',
      count: (p) => [p.complications.filter((c) => c.graded).length, p.complications.length],
    },
    {
      criterion: 'hospital_outcome_timely',
      label: 'Hospital outcome recorded within 30 days of discharge or death',
      standard: 95,
      over: 'full',
      count: (p) =>
        p.outcomeAt === null || p.outcomeRecordedAt === null
          ? [0, 0]
          : [p.outcomeRecordedAt - p.outcomeAt <= 30 * DAY_MS ? 1 : 0, 1],
    },
    ...visitCodes.map((visit): CriterionSpec => ({
      criterion: `follow_up_${visit}`,
      label: `Follow-up visit ${visit} completed in its window (alive, due, not withdrawn)`,
      standard: options.followUpStandard,
      over: 'full',
      count: (p) => {
        const v = p.visits.find((x) => x.code === visit);
        if (
          !v ||
          (!v.completed &&
            (!v.windowClosed || v.status === 'not_required' || v.status === 'lost_to_follow_up'))
        )
          return [0, 0];
        return [v.completedInWindow ? 1 : 0, 1];
      },
    })),
    {
      criterion: 'survival_to_discharge',
      label: 'Survival to discharge (reported, no standard: the evidence being generated)',
      standard: null,
      over: 'all',
      count: (p) => (p.outcome === null ? [0, 0] : [p.outcome === 'discharge' ? 1 : 0, 1]),
    },
  ];
  const rows: CriterionRow[] = [];
  for (const spec of specs) {
    const { perSite, overall } = tallyBySite(spec.over === 'full' ? full : all, tables.sites, spec.count);
    const judge = (estimate: number | null) =>
      spec.standard === null || estimate === null ? null : estimate * 100 >= spec.standard - 1e-9;
    for (const shown of shownBySite(tables, spec.criterion, perSite)) {
      rows.push({
        criterion: spec.criterion,
        label: spec.label,
        standard: spec.standard,
        ...shown,
        met: judge(shown.estimate),
      });
    }
    rows.push({
      criterion: spec.criterion,
      label: spec.label,
      site: 'ALL',
      standard: spec.standard,
      ...overall,
      met: judge(overall.estimate),
    });
  }
  return rows;
}
