import { cutOffOf } from '../dataset/tables.js';
import { auditReport, type SurvivalSummary } from './audit-report.js';
import type { PatientFacts } from './facts.js';
import { escapeHtml, MAX_CENSOR_TICKS, reportHtml, survivalSvg } from './report-html.js';

const DAY = 86_400_000;
const START = Date.parse('2026-01-10T14:00:00Z');

function patient(site: string, deathDay: number | null): PatientFacts {
  return {
    site,
    countingOnly: false,
    startedAt: START,
    startYear: '2026',
    outcome: deathDay === null ? 'discharge' : 'death',
    outcomeAt: START + (deathDay ?? 20) * DAY,
    outcomeRecordedAt: START + 21 * DAY,
    consentDocumented: true,
    mdtDecisionTimely: true,
    runs: [
      { startedAt: START, endedAt: START + 5 * DAY, endReason: 'weaned', lactateAndArrestRecorded: true },
    ],
    complications: [],
    visits: [],
    assessedAliveAt: null,
    assessedDeathAt: null,
  };
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
    // 640 wide, margins 56/16: day 10 is at 56 + 10/365 × 568; 75% is at 16 + 0.25 × 240.
    expect(svg).toContain('<path class="curve" d="M56.0,16.0 H71.6 V76.0 H211.6 V166.0 H211.6"/>');
    expect(svg).toMatch(/<polygon class="band" points="56\.0,16\.0 71\.6,16\.0 71\.6,25\.6 /);
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
    expect(html).toContain('<tr><th scope="row">A&lt;1&gt;</th><td>*</td><td>*</td></tr>');
    expect(html).toMatch(/<th scope="row">A&lt;1&gt;<\/th><td>\* \/ \*<\/td><td>–<\/td><td><\/td>/);
  });
});
