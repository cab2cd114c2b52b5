import type { Shown } from '../disclosure/suppression.js';
import type { AuditReport, ShownProportion, SurvivalSummary } from './audit-report.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML: every value that reaches the page goes through here. */
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const interval = (lower: number | null, upper: number | null) =>
  lower === null || upper === null ? '' : `${pct(lower)} to ${pct(upper)}`;
const count = (x: Shown | null) => (x === null ? '' : String(x));

function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const th = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function proportionCells(p: ShownProportion, withheld = false): (string | number | null)[] {
  if (withheld) return [NOT_PUBLISHED, '–', ''];
  return [`${count(p.numerator)} / ${count(p.denominator)}`, pct(p.estimate), interval(p.lower, p.upper)];
}

/** A site's figure of a table published nationally only. */
const NOT_PUBLISHED = 'not published';

const W = 640;
const H = 330;
/**
 * Room for, left to right, the y-axis title (rotated), the percent labels and the "At risk" label; below the
 * plot, top to bottom, the day labels, the x-axis title and the row of numbers at risk.
 */
const M = { left: 72, right: 24, top: 16, bottom: 74 };
/** Follow-up is censored at one year: no axis goes beyond it. */
const YEAR = 365;
/**
 * Possible ends of the x axis (days), each with its ticks: the axis ends at the first that reaches the
 * longest follow-up, so a short cohort is not squeezed into a corner of a year.
 */
const X_AXES: readonly { readonly end: number; readonly ticks: readonly number[] }[] = [
  { end: 10, ticks: [0, 2, 4, 6, 8, 10] },
  { end: 20, ticks: [0, 5, 10, 15, 20] },
  { end: 30, ticks: [0, 5, 10, 15, 20, 25, 30] },
  { end: 60, ticks: [0, 10, 20, 30, 40, 50, 60] },
  { end: 90, ticks: [0, 15, 30, 45, 60, 75, 90] },
  { end: 180, ticks: [0, 30, 60, 90, 120, 150, 180] },
  { end: 270, ticks: [0, 90, 180, 270] },
  { end: YEAR, ticks: [0, 30, 90, 180, 270, 365] },
];
/** The axis of a curve with no follow-up at all. */
const EMPTY_AXIS = X_AXES[2];
/** Beyond this many censoring times, ticks would merge into a smear over the curve: none are drawn. */
export const MAX_CENSOR_TICKS = 100;

/** Whether a curve's censoring times are marked (few enough to tell apart). */
const marksCensoring = (curve: SurvivalSummary) =>
  curve.steps.filter((s) => s.censored > 0).length <= MAX_CENSOR_TICKS;

/** The longest follow-up of a curve, days: the time of its last step (0 without any). */
const longestFollowUp = (curve: SurvivalSummary) =>
  curve.steps.length > 0 ? curve.steps[curve.steps.length - 1].time : 0;

/**
 * The x axis of a curve: the smallest end of the ladder at or beyond its longest follow-up (one year at
 * most), with that end's ticks; 30 days for a curve with no steps.
 */
export function survivalAxis(curve: SurvivalSummary): { end: number; ticks: readonly number[] } {
  if (curve.steps.length === 0) return EMPTY_AXIS;
  const longest = longestFollowUp(curve);
  return X_AXES.find((a) => a.end >= longest) ?? X_AXES[X_AXES.length - 1];
}

/**
 * How many patients were at risk at day `t` (still followed and alive just before it): all `n` at 0, then
 * the number at risk at the first step at or after `t` (every time anyone died or was censored is a step,
 * so no one leaves between `t` and that step), and 0 once everyone's follow-up has ended.
 */
export function atRiskAtTick(curve: SurvivalSummary, t: number): number {
  if (t <= 0) return curve.n;
  return curve.steps.find((s) => s.time >= t)?.atRisk ?? 0;
}

/**
 * A Kaplan–Meier curve as inline SVG: the step function, its 95% log-log confidence band (shaded), censoring
 * marks, axes in days (up to the follow-up there is) and percent, and the numbers at risk under the day
 * ticks. Coordinates are rounded to 0.1 px so the same curve always gives the same bytes.
 */
export function survivalSvg(curve: SurvivalSummary, title: string): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const axis = survivalAxis(curve);
  const x = (t: number) => (M.left + (Math.min(t, axis.end) / axis.end) * plotW).toFixed(1);
  const y = (s: number) => (M.top + (1 - s) * plotH).toFixed(1);
  const below = (dy: number) => (M.top + plotH + dy).toFixed(1);

  let survival = 1;
  let lower = 1;
  let upper = 1;
  let line = `M${x(0)},${y(1)}`;
  const upperPts: string[] = [`${x(0)},${y(1)}`];
  const lowerPts: string[] = [`${x(0)},${y(1)}`];
  const marks: string[] = [];
  for (const step of curve.steps) {
    if (step.survival !== survival) {
      line += ` H${x(step.time)} V${y(step.survival)}`;
      upperPts.push(`${x(step.time)},${y(upper)}`);
      lowerPts.push(`${x(step.time)},${y(lower)}`);
      survival = step.survival;
      upper = step.upper ?? upper;
      lower = step.lower ?? 0;
      upperPts.push(`${x(step.time)},${y(upper)}`);
      lowerPts.push(`${x(step.time)},${y(lower)}`);
    }
    if (step.censored > 0 && marksCensoring(curve)) {
      marks.push(
        `<line x1="${x(step.time)}" x2="${x(step.time)}" y1="${(Number(y(survival)) - 4).toFixed(1)}" y2="${(Number(y(survival)) + 4).toFixed(1)}"/>`,
      );
    }
  }
  // The curve stops at the last time anyone was followed (to day 365 only if someone was followed a year).
  const end = longestFollowUp(curve);
  line += ` H${x(end)}`;
  upperPts.push(`${x(end)},${y(upper)}`);
  lowerPts.push(`${x(end)},${y(lower)}`);
  const band = [...upperPts, ...lowerPts.reverse()].join(' ');

  const xTicks = axis.ticks
    .map(
      (t) =>
        `<line x1="${x(t)}" x2="${x(t)}" y1="${y(0)}" y2="${below(5)}"/><text x="${x(t)}" y="${below(18)}" text-anchor="middle">${t}</text>`,
    )
    .join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (s) =>
        `<line x1="${M.left - 5}" x2="${W - M.right}" y1="${y(s)}" y2="${y(s)}" class="grid"/><text x="${M.left - 8}" y="${(Number(y(s)) + 4).toFixed(1)}" text-anchor="end">${s * 100}%</text>`,
    )
    .join('');
  const yTitleX = 16;
  const yTitleY = (M.top + plotH / 2).toFixed(1);
  const atRisk = axis.ticks
    .map(
      (t) =>
        `<text x="${x(t)}" y="${below(62)}" text-anchor="middle">${escapeHtml(atRiskAtTick(curve, t))}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">
<title>${escapeHtml(title)}</title>
<g class="axis">${yTicks}${xTicks}<line x1="${M.left}" x2="${W - M.right}" y1="${y(0)}" y2="${y(0)}"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${y(0)}"/></g>
<polygon class="band" points="${band}"/>
<path class="curve" d="${line}"/>
<g class="censor">${marks.join('')}</g>
<text x="${yTitleX}" y="${yTitleY}" transform="rotate(-90 ${yTitleX} ${yTitleY})" text-anchor="middle" class="axis-title">Survival (%)</text>
<text x="${(M.left + plotW / 2).toFixed(1)}" y="${below(38)}" text-anchor="middle" class="axis-title">days from ${curve.origin === 'ecmo_start' ? 'ECMO start' : 'hospital discharge'}</text>
<g class="at-risk"><text x="4" y="${below(62)}" class="at-risk-label">At risk</text>${atRisk}</g>
</svg>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:60rem;color:#1d1d1b;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #005eb8;padding-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0;min-width:22rem;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #c8c8c8;padding:.25rem .5rem;text-align:right}th[scope=row],thead th{text-align:left;background:#f0f4f5}
.note{background:#fff9c4;border-left:4px solid #ffb81c;padding:.5rem .8rem}
svg{max-width:100%;height:auto;font-size:12px}svg .axis line{stroke:#4c6272}svg .grid{stroke:#e8edee}
svg .band{fill:#005eb8;fill-opacity:.18;stroke:none}svg .curve{fill:none;stroke:#005eb8;stroke-width:2}svg .censor line{stroke:#1d1d1b}
svg .axis-title,svg .at-risk-label{font-weight:600}svg .at-risk{font-variant-numeric:tabular-nums}
.met-no{color:#d5281b;font-weight:600}`;

/**
 * The aggregate report as one self-contained HTML page a clinician can open (no script, no external
 * resource): the tables per site and overall, the survival curves as inline SVG with their confidence bands
 * and numbers at risk, and the criteria table. It holds no generation time or version, so the same data give
 * the same bytes; the manifest says when and which version.
 */
export function reportHtml(report: AuditReport, profile: string): string {
  const parts: string[] = [];
  const withheld = new Set(report.withheld);
  parts.push(`<h1>VA ECMO for postcardiotomy cardiogenic shock: audit report</h1>
<p>Data cut-off: <strong>${escapeHtml(report.cutOff)}</strong> (end of day, Europe/London). Profile: <strong>${escapeHtml(profile)}</strong>.
Patients treated: <strong>${report.treated.total}</strong>, of whom ${report.treated.countingOnly} declined or withdrew from exports and count only in the treated totals and survival to discharge.</p>`);
  if (report.disclosure) {
    parts.push(
      `<p class="note">Sub-national counts from 1 to ${escapeHtml(report.disclosure.threshold)} are shown as * and other sub-national counts are rounded to the nearest ${escapeHtml(report.disclosure.rounding)}; further cells are starred where a star could otherwise be worked out from anything else published. A site's percentage, interval and met verdict are computed from its published (rounded) counts, and are not shown where one of its counts is starred. National figures are exact.</p>`,
    );
    if (report.withheld.length > 0) {
      const labels = new Map<string, string>([
        ['treated', 'Patients treated'],
        ...report.criteria.map((c): [string, string] => [c.criterion, c.label]),
        ...report.outcomes.map((o): [string, string] => [o.measure, o.label]),
      ]);
      const items = report.withheld.map((id) => `<li>${escapeHtml(labels.get(id) ?? id)}</li>`).join('');
      parts.push(
        `<div class="note"><p>Not published by site, because no pattern of stars could protect its small counts (its figures by site are shown as “not published”; the national figures are exact):</p><ul>${items}</ul></div>`,
      );
    }
  }

  const t = report.treated;
  parts.push('<h2>Patients treated</h2>');
  if (report.disclosure) {
    // Protected: a site's patients in all years together (small counts split by year could not be hidden).
    parts.push(
      table(
        'Patients treated, by site (all years)',
        ['Site', 'Total'],
        [
          ...t.sites.map((s) => [s.site, withheld.has('treated') ? NOT_PUBLISHED : count(s.total)]),
          ['All sites', t.total],
        ],
      ),
      table(
        'Patients treated, by year of ECMO start (all sites)',
        ['Year', 'Patients'],
        [...t.periods.map((period, j) => [period, t.byPeriod[j]]), ['All years', t.total]],
      ),
    );
  } else {
    parts.push(
      table(
        'Patients treated, by site and year of ECMO start',
        ['Site', ...t.periods, 'Total'],
        [
          ...t.sites.map((s) => [s.site, ...s.byPeriod.map(count), count(s.total)]),
          ['All sites', ...t.byPeriod.map(count), t.total],
        ],
      ),
    );
  }

  parts.push('<h2>Outcomes</h2>');
  for (const o of report.outcomes) {
    const excluded = Object.entries(o.excluded)
      .map(([why, n]) => `${n} ${why}`)
      .join('; ');
    parts.push(
      table(
        `${o.label}${excluded ? ` (not counted: ${excluded})` : ''}`,
        ['Site', 'Patients', 'Per cent', '95% interval'],
        [
          ...o.sites.map((s) => [s.site, ...proportionCells(s, withheld.has(o.measure))]),
          ['All sites', ...proportionCells(o.overall)],
        ],
      ),
    );
  }

  parts.push('<h2>Survival to one year</h2>');
  for (const curve of report.survival) {
    const title =
      curve.origin === 'ecmo_start'
        ? 'Kaplan–Meier survival from the start of ECMO (all sites)'
        : 'Kaplan–Meier survival from hospital discharge, hospital survivors (all sites)';
    const longest = longestFollowUp(curve);
    const censored = curve.steps.reduce((sum, s) => sum + s.censored, 0);
    const censoredTimes = curve.steps.filter((s) => s.censored > 0).length;
    parts.push(
      `<figure>${survivalSvg(curve, title)}<figcaption>${escapeHtml(title)}: ${curve.n} patients, ${curve.events} deaths, longest follow-up ${longest.toFixed(0)} days; shaded: 95% interval (log-log); ${marksCensoring(curve) ? 'ticks: censored' : `censoring not marked (${censored} patients at ${censoredTimes} times)`}.</figcaption></figure>`,
    );
    parts.push(
      table(
        `${title}: survival and numbers at risk`,
        ['Day', 'At risk', 'Survival', '95% interval'],
        [
          ['0', curve.n, '100.0%', ''],
          ...curve.at.map((a) => [String(a.days), a.atRisk, pct(a.survival), interval(a.lower, a.upper)]),
        ],
      ),
    );
  }

  const c = report.complications;
  parts.push('<h2>Complications</h2>');
  parts.push(
    table(
      `Complications (all sites): ${c.patients} patients, ${c.ecmoDays} ECMO days`,
      [
        'Group',
        'Patients with ≥ 1',
        'Per cent',
        '95% interval',
        'Events on ECMO',
        'Per 1,000 ECMO days',
        '95% interval',
      ],
      c.byGroup.map((r) => [
        r.group,
        `${r.patients.numerator} / ${r.patients.denominator}`,
        pct(r.patients.estimate),
        interval(r.patients.lower, r.patients.upper),
        r.events,
        r.perThousandEcmoDays.rate === null ? '–' : r.perThousandEcmoDays.rate.toFixed(1),
        r.perThousandEcmoDays.lower === null
          ? ''
          : `${r.perThousandEcmoDays.lower.toFixed(1)} to ${r.perThousandEcmoDays.upper!.toFixed(1)}`,
      ]),
    ),
  );
  const d = report.ecmoDurationHours;
  parts.push(
    `<p>ECMO duration (patients whose runs had all ended): median ${d.median === null ? '–' : `${d.median.toFixed(1)} h`}, interquartile range ${d.q1 === null ? '–' : `${d.q1.toFixed(1)} to ${d.q3!.toFixed(1)} h`} (${d.n} patients).</p>`,
  );

  parts.push('<h2>Follow-up completeness</h2>');
  parts.push(
    table(
      'Visits completed ÷ alive, due and not withdrawn (all sites)',
      ['Visit', 'Completed / due', 'Per cent', '95% interval', 'Died', 'Withdrew', 'Lost'],
      report.followUp.map((f) => [
        f.visit,
        `${f.completed} / ${f.due}`,
        pct(f.completeness.estimate),
        interval(f.completeness.lower, f.completeness.upper),
        f.deaths,
        f.withdrawals,
        f.lost,
      ]),
    ),
  );

  parts.push('<h2>Audit criteria</h2>');
  const criteria = report.criteria
    .map(
      (r) =>
        `<tr><th scope="row">${escapeHtml(r.label)}</th><td>${escapeHtml(r.site === 'ALL' ? 'All sites' : r.site)}</td><td>${escapeHtml(r.site !== 'ALL' && withheld.has(r.criterion) ? NOT_PUBLISHED : `${count(r.numerator)} / ${count(r.denominator)}`)}</td><td>${escapeHtml(pct(r.estimate))}</td><td>${escapeHtml(interval(r.lower, r.upper))}</td><td>${escapeHtml(r.standard === null ? '–' : `${r.standard}%`)}</td><td${r.met === false ? ' class="met-no"' : ''}>${escapeHtml(r.met === null ? '–' : r.met ? 'yes' : 'no')}</td></tr>`,
    )
    .join('\n');
  parts.push(
    `<table>\n<caption>Audit criteria, per site and overall</caption>\n<thead><tr><th scope="col">Criterion</th><th scope="col">Site</th><th scope="col">Numerator / denominator</th><th scope="col">Result</th><th scope="col">95% interval</th><th scope="col">Standard</th><th scope="col">Met</th></tr></thead>\n<tbody>\n${criteria}\n</tbody>\n</table>`,
  );

  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ECMO registry audit report, cut-off ${escapeHtml(report.cutOff)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
