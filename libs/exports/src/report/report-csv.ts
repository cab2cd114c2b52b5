import { csvLine } from '../dataset/dictionary.js';
import type { Shown } from '../disclosure/suppression.js';
import { round4, type AuditReport } from './audit-report.js';

export const REPORT_CSV_HEADER = [
  'section',
  'measure',
  'site',
  'period',
  'count',
  'denominator',
  'estimate',
  'lower',
  'upper',
] as const;

/**
 * The aggregate report as one long CSV (a row per published figure), for a spreadsheet or a statistics
 * package: `count` and `denominator` as published (`*` where suppressed), `estimate` with its 95% interval
 * (proportions 0–1, rates per 1,000 ECMO days, survival 0–1, durations in hours as median and IQR).
 */
export function reportCsv(report: AuditReport): string {
  let text = csvLine(REPORT_CSV_HEADER);
  const row = (
    section: string,
    measure: string,
    site: string,
    period: string | null,
    count: Shown | null,
    denominator: Shown | null,
    estimate: number | null = null,
    lower: number | null = null,
    upper: number | null = null,
  ) => {
    text += csvLine([
      section,
      measure,
      site,
      period,
      count,
      denominator,
      round4(estimate),
      round4(lower),
      round4(upper),
    ]);
  };
  const { treated } = report;
  for (const s of treated.sites) {
    // Protected profiles publish a site's total only (byPeriod empty).
    s.byPeriod.forEach((shown, j) => row('treated', 'patients', s.site, treated.periods[j], shown, null));
    row('treated', 'patients', s.site, null, s.total, null);
  }
  treated.periods.forEach((period, j) =>
    row('treated', 'patients', 'ALL', period, treated.byPeriod[j], null),
  );
  row('treated', 'patients', 'ALL', null, treated.total, null);
  row('treated', 'counting_set_only', 'ALL', null, treated.countingOnly, null);

  for (const o of report.outcomes) {
    for (const s of o.sites)
      row('outcome', o.measure, s.site, null, s.numerator, s.denominator, s.estimate, s.lower, s.upper);
    const all = o.overall;
    row(
      'outcome',
      o.measure,
      'ALL',
      null,
      all.numerator,
      all.denominator,
      all.estimate,
      all.lower,
      all.upper,
    );
    for (const [why, n] of Object.entries(o.excluded))
      row('outcome_excluded', `${o.measure}: ${why}`, 'ALL', null, n, null);
  }
  for (const curve of report.survival) {
    for (const point of curve.at) {
      row(
        'survival',
        `${curve.origin}_day_${point.days}`,
        'ALL',
        null,
        point.atRisk,
        curve.n,
        point.survival,
        point.lower,
        point.upper,
      );
    }
  }
  const c = report.complications;
  for (const r of [...c.byGroup, ...c.byCode]) {
    const measure = r.code === null ? r.group : `${r.group}/${r.code}`;
    const p = r.patients;
    row(
      'complication_patients',
      measure,
      'ALL',
      null,
      p.numerator,
      p.denominator,
      p.estimate,
      p.lower,
      p.upper,
    );
    const rate = r.perThousandEcmoDays;
    row(
      'complication_rate_per_1000_ecmo_days',
      measure,
      'ALL',
      null,
      r.events,
      c.ecmoDays,
      rate.rate,
      rate.lower,
      rate.upper,
    );
  }
  const d = report.ecmoDurationHours;
  row('ecmo_duration_hours', 'median_iqr', 'ALL', null, d.n, null, d.median, d.q1, d.q3);
  for (const f of report.followUp) {
    const p = f.completeness;
    row('follow_up', f.visit, 'ALL', null, f.completed, f.due, p.estimate, p.lower, p.upper);
    row('follow_up_apart', `${f.visit}_deaths`, 'ALL', null, f.deaths, null);
    row('follow_up_apart', `${f.visit}_withdrawals`, 'ALL', null, f.withdrawals, null);
    row('follow_up_apart', `${f.visit}_lost`, 'ALL', null, f.lost, null);
  }
  return text;
}

export const CRITERIA_CSV_HEADER = [
  'criterion',
  'site',
  'numerator',
  'denominator',
  'result_percent',
  'lower_percent',
  'upper_percent',
  'standard_percent',
  'met',
  'description',
] as const;

const percent = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);

/** The audit criteria table, per site and overall (`ALL`). */
export function criteriaCsv(report: AuditReport): string {
  let text = csvLine(CRITERIA_CSV_HEADER);
  for (const r of report.criteria) {
    text += csvLine([
      r.criterion,
      r.site,
      r.numerator,
      r.denominator,
      percent(r.estimate),
      percent(r.lower),
      percent(r.upper),
      r.standard,
      r.met === null ? null : r.met ? 'yes' : 'no',
      r.label,
    ]);
  }
  return text;
}
