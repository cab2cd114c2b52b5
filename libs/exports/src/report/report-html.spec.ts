import { cutOffOf } from '../dataset/tables.js';
import { auditReport, type SurvivalSummary } from './audit-report.js';
import type { PatientFacts } from './facts.js';
import { dischargedPatient } from '../testing/patient-facts.js';
import {
  atRiskAtTick,
  escapeHtml,
  MAX_CENSOR_TICKS,
  reportHtml,
  survivalAxis,
  survivalSvg,
} from './report-html.js';

const DAY = 86_400_000;
const START = Date.parse('2026-01-10T14:00:00Z');

function patient(site: string, deathDay: number | null): PatientFacts {
  return dischargedPatient(site, {
    outcome: deathDay === null ? 'discharge' : 'death',
    outcomeAt: START + (deathDay ?? 20) * DAY,
  });
}

const CURVE: SurvivalSummary = {
  origin: 'ecmo_start',
  n: 4,
  events: 2,
  steps: [
    { time: 10, atRisk: 4, events: 1, censored: 0, survival: 0.75, lower: 0.1, upper: 0.96 },
    { time: 20, atRisk: 3, events: 0, censored: 1, survival: 0.75, lower: 0.1, upper: 0.96 },
    { time: 100, atRisk: 2, events: 1, censored: 0, survival: 0.375, lower: 0.01, upper: 0.8 },
  ],
  at: [],
};

describe('escapeHtml', () => {
  it('escapes what could open a tag or an attribute', () => {
    expect(escapeHtml(`<b a="x">O'Neil & co</b>`)).toBe(
      '&lt;b a=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/b&gt;',
    );
    expect(escapeHtml(null)).toBe('');
  });
});

describe('survivalSvg', () => {
  const svg = survivalSvg(CURVE, 'Survival');

  it('draws the steps down at each death to the last time followed, the band around them, a tick at each censoring', () => {
    // Followed to day 100: the axis ends at 180. 640 wide, margins 72/24: day 10 is at 72 + 10/180 × 544,
    // day 100 at 72 + 100/180 × 544; 75% is at 16 + 0.25 × 240.
    expect(svg).toContain('<path class="curve" d="M72.0,16.0 H102.2 V76.0 H374.2 V166.0 H374.2"/>');
    expect(svg).toMatch(/<polygon class="band" points="72\.0,16\.0 102\.2,16\.0 102\.2,25\.6 /);
    expect(svg.match(/<g class="censor">(.*)<\/g>/)![1].match(/<line/g)).toHaveLength(1);
  });

  it('marks no censoring when there are too many times to tell apart, and says so under the figure', () => {
    const many = (n: number) => ({
      ...CURVE,
      steps: Array.from({ length: n }, (_, i) => ({
        time: 1 + i / 10,
        atRisk: n - i,
        events: 0,
        censored: 1,
        survival: 1,
        lower: null,
        upper: null,
      })),
    });
    const ticks = (n: number) =>
      survivalSvg(many(n), 'Survival')
        .match(/<g class="censor">(.*)<\/g>/)![1]
        .match(/<line/g)?.length ?? 0;
    expect(ticks(MAX_CENSOR_TICKS)).toBe(MAX_CENSOR_TICKS);
    expect(ticks(MAX_CENSOR_TICKS + 1)).toBe(0);
  });

  it('gives the same bytes for the same curve', () => {
    expect(survivalSvg(CURVE, 'Survival')).toBe(svg);
  });

  it('ends the day axis at the first rung of the ladder that reaches the longest follow-up, one year at most', () => {
    const followedTo = (time: number): SurvivalSummary => ({
      ...CURVE,
      steps: [{ time, atRisk: 1, events: 0, censored: 1, survival: 1, lower: null, upper: null }],
    });
    expect(survivalAxis({ ...CURVE, steps: [] })).toEqual({ end: 30, ticks: [0, 5, 10, 15, 20, 25, 30] });
    expect(survivalAxis(followedTo(7)).end).toBe(10);
    expect(survivalAxis(followedTo(30)).end).toBe(30);
    expect(survivalAxis(followedTo(30.01)).ticks).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(survivalAxis(CURVE).ticks).toEqual([0, 30, 60, 90, 120, 150, 180]);
    expect(survivalAxis(followedTo(200)).ticks).toEqual([0, 90, 180, 270]);
    expect(survivalAxis(followedTo(365)).ticks).toEqual([0, 30, 90, 180, 270, 365]);
    expect(survivalAxis(followedTo(400)).end).toBe(365);
    expect(dayTicks(survivalSvg(followedTo(365), 'Survival')).map((t) => t.label)).toEqual([
      0, 30, 90, 180, 270, 365,
    ]);
  });

  it('titles the y axis, rotated beside it and inside the picture', () => {
    const title = svg.match(
      /<text x="([\d.]+)" y="([\d.]+)" transform="rotate\(-90 \1 \2\)"[^>]*>([^<]*)<\/text>/,
    );
    expect(title?.[3]).toBe('Survival (%)');
    // Rotated a quarter turn back, the letters rise to the left of x: 12 px text needs about 12 px there,
    // and they must end before the percent labels (right-aligned 8 px left of the axis at 72).
    expect(Number(title![1])).toBeGreaterThanOrEqual(12);
    expect(Number(title![1])).toBeLessThan(40);
    expect(svg).toContain('>days from ECMO start</text>');
  });

  it('writes the numbers at risk at each day tick under the axis, labelled', () => {
    // n 4; at risk 4 at day 10, 3 at day 20, 2 at day 100, no one after.
    expect(atRisk(svg)).toEqual({
      label: 'At risk',
      counts: [4, 2, 2, 2, 0, 0, 0],
      xs: dayTicks(svg).map((t) => t.x),
    });
  });

  it('keeps the day labels, the axis title and the numbers at risk on separate lines inside the picture', () => {
    const height = Number(svg.match(/viewBox="0 0 \d+ (\d+)"/)![1]);
    const baseline = (re: RegExp) => Number(svg.match(re)![1]);
    const axisY = baseline(/<line x1="72" x2="616" y1="([\d.]+)"/);
    const labels = dayTicks(svg)[0].y;
    const axisTitle = baseline(/<text x="[\d.]+" y="([\d.]+)"[^>]*>days from/);
    const risk = baseline(/<text x="4" y="([\d.]+)"[^>]*>At risk/);
    // 12 px text: each baseline at least 14 px below the one above, the last with room for its descent.
    expect(labels - axisY).toBeGreaterThanOrEqual(14);
    expect(axisTitle - labels).toBeGreaterThanOrEqual(14);
    expect(risk - axisTitle).toBeGreaterThanOrEqual(14);
    expect(height - risk).toBeGreaterThanOrEqual(4);
  });
});

/** The day ticks of an SVG's x axis: label, x and baseline of each label. */
function dayTicks(svg: string): { label: number; x: number; y: number }[] {
  const axis = svg.match(/<g class="axis">(.*?)<\/g>/)![1];
  return [...axis.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle">(\d+)<\/text>/g)].map(
    (m) => ({ label: Number(m[3]), x: Number(m[1]), y: Number(m[2]) }),
  );
}

/** The row of numbers at risk of an SVG: its label, the counts and where they stand. */
function atRisk(svg: string): { label: string; counts: number[]; xs: number[] } {
  const row = svg.match(/<g class="at-risk">(.*?)<\/g>/)![1];
  const counts = [...row.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(\d+)<\/text>/g)];
  return {
    label: row.match(/>([A-Za-z ]+)<\/text>/)![1],
    counts: counts.map((m) => Number(m[2])),
    xs: counts.map((m) => Number(m[1])),
  };
}

describe('atRiskAtTick', () => {
  // Six patients: died day 3; censored day 8; died day 8; died day 15; censored day 15; censored day 40.
  const curve: SurvivalSummary = {
    origin: 'ecmo_start',
    n: 6,
    events: 3,
    steps: [
      { time: 3, atRisk: 6, events: 1, censored: 0, survival: 0.8333, lower: null, upper: null },
      { time: 8, atRisk: 5, events: 1, censored: 1, survival: 0.6667, lower: null, upper: null },
      { time: 15, atRisk: 3, events: 1, censored: 1, survival: 0.4444, lower: null, upper: null },
      { time: 40, atRisk: 1, events: 0, censored: 1, survival: 0.4444, lower: null, upper: null },
    ],
    at: [],
  };

  it('counts everyone still followed and alive just before each time', () => {
    expect(atRiskAtTick(curve, 0)).toBe(6);
    expect(atRiskAtTick(curve, 3)).toBe(6);
    expect(atRiskAtTick(curve, 3.5)).toBe(5);
    expect(atRiskAtTick(curve, 8)).toBe(5);
    expect(atRiskAtTick(curve, 10)).toBe(3);
    expect(atRiskAtTick(curve, 15)).toBe(3);
    expect(atRiskAtTick(curve, 20)).toBe(1);
    expect(atRiskAtTick(curve, 40)).toBe(1);
    expect(atRiskAtTick(curve, 41)).toBe(0);
    expect(atRiskAtTick({ ...curve, n: 0, steps: [] }, 0)).toBe(0);
    expect(atRiskAtTick(CURVE, 0)).toBe(4);
    expect(atRiskAtTick(CURVE, 90)).toBe(2);
    expect(atRiskAtTick(CURVE, 120)).toBe(0);
  });

  it('is what the figure shows at its ticks (axis 0 to 60 for follow-up to day 40)', () => {
    expect(atRisk(survivalSvg(curve, 'Survival')).counts).toEqual([6, 3, 1, 1, 1, 0, 0]);
  });
});

describe('reportHtml', () => {
  const facts = [
    ...Array.from({ length: 3 }, (_, i) => patient('A<1>', i === 0 ? 3 : null)),
    ...Array.from({ length: 30 }, (_, i) => patient('BBB', i < 10 ? 5 : null)),
    ...Array.from({ length: 30 }, (_, i) => patient('CCC', i < 12 ? 5 : null)),
  ];
  const options = {
    cut: cutOffOf('2026-12-31'),
    followUpStandard: 90,
  };

  it('is one self-contained page: no script, nothing fetched, every value escaped', () => {
    const html = reportHtml(auditReport(facts, { ...options, disclosure: null }), 'internal');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('<th scope="row">A&lt;1&gt;</th>');
    expect(html).not.toContain('A<1>');
    expect(html.match(/<svg /g)).toHaveLength(2);
  });

  it('shows stars and no percentage or interval where a count is suppressed (external profile)', () => {
    const html = reportHtml(
      auditReport(facts, { ...options, disclosure: { threshold: 7, rounding: 5 } }),
      'external_audit',
    );
    expect(html).toContain('shown as *');
    // By site, all years together (the years are national only).
    expect(html).toContain('<tr><th scope="row">A&lt;1&gt;</th><td>*</td></tr>');
    expect(html).toContain('<caption>Patients treated, by year of ECMO start (all sites)</caption>');
    expect(html).toMatch(/<th scope="row">A&lt;1&gt;<\/th><td>\* \/ \*<\/td><td>–<\/td><td><\/td>/);
    // The criteria table hides the interval with the percentage.
    expect(html).toContain('<td>A&lt;1&gt;</td><td>* / *</td><td>–</td><td></td><td>100%</td><td>–</td>');
  });

  it('names, in words, each table published nationally only', () => {
    const html = reportHtml(
      auditReport(facts, {
        ...options,
        disclosure: { threshold: 7, rounding: 5 },
        withhold: new Set(['survival_to_discharge', 'consent_documented']),
      }),
      'publication',
    );
    expect(html).toContain(
      'Not published by site, because no pattern of stars could protect its small counts',
    );
    expect(html).toContain(
      '<li>Alive at hospital discharge (all treated patients, declined and withdrawn included)</li>',
    );
    expect(html).toContain(
      '<li>Consent process documented (consent, or emergency enrolment then consultee advice)</li>',
    );
    // Their site rows say so, rather than stars a reader would take for small counts.
    expect(html).toMatch(/<th scope="row">A&lt;1&gt;<\/th><td>not published<\/td><td>–<\/td><td><\/td>/);
    expect(html).toContain('<td>A&lt;1&gt;</td><td>not published</td><td>–</td>');
  });

  it('says how sub-national figures were protected and what is computed from them', () => {
    const html = reportHtml(
      auditReport(facts, { ...options, disclosure: { threshold: 7, rounding: 5 } }),
      'external_audit',
    );
    expect(html).toContain(
      '<p class="note">Sub-national counts from 1 to 7 are shown as * and other sub-national counts are rounded to the nearest 5; further cells are starred where a star could otherwise be worked out from anything else published. A site\'s percentage, interval and met verdict are computed from its published (rounded) counts, and are not shown where one of its counts is starred. National figures are exact.</p>',
    );
  });

  it('gives each criterion row its 95% interval after the result, as the criteria CSV does', () => {
    const consented = Array.from({ length: 30 }, (_, i) => ({
      ...patient('DDD', null),
      consentDocumented: i < 12,
    }));
    const html = reportHtml(auditReport(consented, { ...options, disclosure: null }), 'internal');
    expect(html).toContain(
      '<th scope="col">Numerator / denominator</th><th scope="col">Result</th><th scope="col">95% interval</th><th scope="col">Standard</th>',
    );
    // Wilson interval of 12/30: 0.2459 to 0.5768.
    expect(html).toContain(
      '<td>DDD</td><td>12 / 30</td><td>40.0%</td><td>24.6% to 57.7%</td><td>100%</td><td class="met-no">no</td>',
    );
  });

  /** Patients followed (known alive) to `days` after the start of ECMO, one in four dying on day 5. */
  const followed = (days: number) =>
    Array.from({ length: 12 }, (_, i) => ({
      ...patient('BBB', i % 4 === 0 ? 5 : null),
      assessedAliveAt: i % 4 === 0 ? null : START + (days - (i % 3)) * DAY,
    }));
  const svgs = (html: string) => html.match(/<svg [\s\S]*?<\/svg>/g)!;

  it('scales the day axis of a 35-day cohort to its follow-up rather than to a year', () => {
    const [fromStart] = svgs(
      reportHtml(auditReport(followed(35), { ...options, disclosure: null }), 'internal'),
    );
    const ticks = dayTicks(fromStart);
    const last = ticks[ticks.length - 1];
    expect(last.label).toBeGreaterThanOrEqual(35);
    expect(last.label).toBeLessThan(365);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(7);
    // The curve runs to day 35: over half the plot, not a tenth of it.
    const curveEnd = Number(fromStart.match(/<path class="curve" d="[^"]* H([\d.]+)"/)![1]);
    expect((curveEnd - ticks[0].x) / (last.x - ticks[0].x)).toBeGreaterThanOrEqual(0.5);
  });

  it('keeps the one-year axis for a cohort followed a year', () => {
    const [fromStart] = svgs(
      reportHtml(auditReport(followed(365), { ...options, disclosure: null }), 'internal'),
    );
    expect(dayTicks(fromStart).map((t) => t.label)).toEqual([0, 30, 90, 180, 270, 365]);
  });

  it('titles the y axis of every survival curve', () => {
    for (const cohort of [facts, followed(35), followed(365)]) {
      const html = reportHtml(auditReport(cohort, { ...options, disclosure: null }), 'internal');
      const figures = svgs(html);
      expect(figures).toHaveLength(2);
      for (const svg of figures)
        expect(svg).toMatch(/<text [^>]*transform="rotate\(-90 [^>]*>Survival \(%\)<\/text>/);
    }
  });

  it('shows under each curve the same numbers at risk as the survival table at the days both give', () => {
    const report = auditReport(followed(365), { ...options, disclosure: null });
    const figures = svgs(reportHtml(report, 'internal'));
    report.survival.forEach((curve, i) => {
      const ticks = dayTicks(figures[i]).map((t) => t.label);
      const shown = atRisk(figures[i]).counts;
      expect(shown[0]).toBe(curve.n);
      for (const point of curve.at.filter((a) => ticks.includes(a.days)))
        expect(shown[ticks.indexOf(point.days)]).toBe(point.atRisk);
    });
  });

  it('keeps figure text at 12 px or more', () => {
    const html = reportHtml(auditReport(facts, { ...options, disclosure: null }), 'internal');
    expect(html).toMatch(/svg\{[^}]*font-size:12px/);
    expect(html).not.toMatch(/font-size="|font-size:(?:[0-9]|1[01])(?:\.\d+)?px/);
  });
});
