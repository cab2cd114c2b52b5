import { cutOffOf } from '../dataset/tables.js';
import { wilson } from '../statistics/index.js';
import { auditReport, type ReportOptions } from './audit-report.js';
import type { PatientFacts, RunFacts, VisitFacts } from './facts.js';
import { dischargedPatient } from '../testing/patient-facts.js';
import { criteriaCsv, CRITERIA_CSV_HEADER, reportCsv, REPORT_CSV_HEADER } from './report-csv.js';

const DAY = 86_400_000;
const START = Date.parse('2026-01-10T14:00:00Z');
const CUT: ReportOptions = {
  cut: cutOffOf('2026-12-31'),
  disclosure: null,
  followUpStandard: 90,
};

function run(days: number | null, endReason: string | null = 'weaned', recorded = true): RunFacts {
  return {
    startedAt: START,
    endedAt: days === null ? null : START + days * DAY,
    endReason: days === null ? null : endReason,
    lactateAndArrestRecorded: recorded,
  };
}

function visit(code: string, status: string, extra: Partial<VisitFacts> = {}): VisitFacts {
  return {
    code,
    status,
    reason: null,
    windowClosed: true,
    completed: false,
    completedInWindow: false,
    ...extra,
  };
}

/** A patient discharged alive on day 20, with what the test says on top. */
function patient(extra: Partial<PatientFacts> = {}): PatientFacts {
  return dischargedPatient('AAA', { runs: [run(5)], ...extra });
}

/** The minimal counting set only, as the facts query gives it for a declined or level-c patient. */
function countingOnly(outcome: 'discharge' | 'death', site = 'AAA'): PatientFacts {
  return patient({
    site,
    countingOnly: true,
    outcome,
    outcomeRecordedAt: null,
    consentDocumented: null,
    mdtDecisionTimely: null,
    runs: [],
  });
}

const measure = (report: ReturnType<typeof auditReport>, name: string) =>
  report.outcomes.find((o) => o.measure === name)!;

describe('auditReport', () => {
  it('counts declined and withdrawn patients in the treated totals and survival to discharge, and nowhere else', () => {
    const report = auditReport(
      [
        patient(),
        patient({ outcome: 'death', outcomeAt: START + 3 * DAY, runs: [run(3, 'died_on_ecmo')] }),
        countingOnly('death'),
        countingOnly('discharge'),
      ],
      CUT,
    );
    expect(report.treated).toMatchObject({ total: 4, countingOnly: 2, periods: ['2026'] });
    expect(report.treated.sites).toEqual([{ site: 'AAA', byPeriod: [4], total: 4 }]);
    expect(measure(report, 'survival_to_discharge').overall).toEqual(wilson(2, 4));
    expect(measure(report, 'survival_to_decannulation').overall).toEqual(wilson(1, 2));
    expect(measure(report, 'survival_30_days').overall).toEqual(wilson(0, 1));
    expect(report.survival[0]).toMatchObject({ origin: 'ecmo_start', n: 2, events: 1 });
    expect(report.complications.patients).toBe(2);
    const consent = report.criteria.find((c) => c.criterion === 'consent_documented' && c.site === 'ALL')!;
    expect([consent.numerator, consent.denominator]).toEqual([2, 2]);
  });

  it('leaves out of a denominator, and says why, whom the measure cannot judge yet', () => {
    const report = auditReport(
      [
        patient({ runs: [run(null)], outcome: null, outcomeAt: null }),
        patient({ runs: [run(4, 'transferred_on_ecmo')] }),
        patient({
          startedAt: CUT.cut.endsAt.getTime() - 10 * DAY,
          runs: [],
          outcome: null,
          outcomeAt: null,
        }),
      ],
      CUT,
    );
    expect(measure(report, 'survival_to_decannulation').excluded).toEqual({
      'still on ECMO at the cut-off': 2,
      'transferred on ECMO': 1,
    });
    expect(measure(report, 'survival_to_discharge').excluded).toEqual({ 'in hospital at the cut-off': 2 });
    expect(measure(report, 'survival_30_days').excluded).toEqual({
      'not known alive at 30 days': 1,
      'started less than 30 days before the cut-off': 1,
    });
    // The first was on ECMO at the cut-off: alive until then, so alive at 30 days.
    expect(measure(report, 'survival_30_days').overall).toEqual(wilson(1, 1));
  });

  it('lists sites in the order a reader expects: SYN2 before SYN10', () => {
    const report = auditReport(
      ['SYN10', 'SYN2', 'SYN1', 'ABC'].map((site) => patient({ site })),
      CUT,
    );
    expect(report.treated.sites.map((s) => s.site)).toEqual(['ABC', 'SYN1', 'SYN2', 'SYN10']);
  });

  it('follows survival from ECMO start to one year: a death counts, a later follow-up alive censors later', () => {
    const report = auditReport(
      [
        patient({ outcome: 'death', outcomeAt: START + 10 * DAY, runs: [run(5)] }),
        patient({ assessedAliveAt: START + 300 * DAY }),
        patient({ assessedDeathAt: START + 100 * DAY }),
        patient(),
      ],
      CUT,
    );
    const [fromStart, fromDischarge] = report.survival;
    expect(fromStart.steps.map((s) => [s.time, s.atRisk, s.survival])).toEqual([
      [10, 4, 0.75],
      [20, 3, 0.75],
      [100, 2, 0.375],
      [300, 1, 0.375],
    ]);
    expect(fromStart.at.map((a) => [a.days, a.atRisk, a.survival])).toEqual([
      [30, 2, 0.75],
      [90, 2, 0.75],
      [180, 1, 0.375],
      // Nobody was followed past day 300: the curve says nothing at a year.
      [365, 0, null],
    ]);
    expect(fromDischarge).toMatchObject({ origin: 'hospital_discharge', n: 3, events: 1 });
  });

  it('gives complications as patients with at least one and as events per 1,000 ECMO days', () => {
    const c = (code: string, group: string, onEcmo = true) => ({ code, group, onEcmo, graded: true });
    const report = auditReport(
      [
        patient({ runs: [run(10)], complications: [c('sepsis', 'infection'), c('sepsis', 'infection')] }),
        patient({ runs: [run(10)], complications: [c('seizure', 'neurological', false)] }),
      ],
      CUT,
    );
    expect(report.complications.ecmoDays).toBe(20);
    const infection = report.complications.byGroup.find((r) => r.group === 'infection')!;
    expect(infection.patients).toEqual(wilson(1, 2));
    expect(infection.events).toBe(2);
    expect(infection.perThousandEcmoDays.rate).toBeCloseTo(100, 10);
    const seizure = report.complications.byCode.find((r) => r.code === 'seizure')!;
    expect([seizure.events, seizure.perThousandEcmoDays.rate]).toEqual([0, 0]);
    expect(report.ecmoDurationHours).toMatchObject({ n: 2, median: 240 });
  });

  it('measures follow-up completeness over the alive and due, with deaths, withdrawals and losses apart', () => {
    const report = auditReport(
      [
        patient({ visits: [visit('day_30', 'completed', { completed: true, completedInWindow: true })] }),
        patient({ visits: [visit('day_30', 'completed', { completed: true, completedInWindow: false })] }),
        patient({ visits: [visit('day_30', 'missed')] }),
        patient({ visits: [visit('day_30', 'not_required', { reason: 'death' })] }),
        patient({ visits: [visit('day_30', 'not_required', { reason: 'withdrawal' })] }),
        patient({ visits: [visit('day_30', 'lost_to_follow_up')] }),
        patient({ visits: [visit('day_30', 'due', { windowClosed: false })] }),
      ],
      CUT,
    );
    expect(report.followUp).toEqual([
      {
        visit: 'day_30',
        completed: 2,
        due: 3,
        completeness: wilson(2, 3),
        deaths: 1,
        withdrawals: 1,
        lost: 1,
      },
    ]);
    const criterion = report.criteria.find((c) => c.criterion === 'follow_up_day_30' && c.site === 'ALL')!;
    expect(criterion).toMatchObject({ numerator: 1, denominator: 3, standard: 90, met: false });
  });

  it('judges each criterion against its standard, per site and overall', () => {
    const late = patient({ outcomeRecordedAt: START + 60 * DAY, site: 'BBB' });
    const report = auditReport(
      [
        patient(),
        patient({ runs: [run(5, 'weaned', false), run(6)] }),
        late,
        countingOnly('discharge', 'BBB'),
      ],
      CUT,
    );
    const row = (criterion: string, site: string) =>
      report.criteria.find((c) => c.criterion === criterion && c.site === site)!;
    expect(row('pre_ecmo_state_recorded', 'AAA')).toMatchObject({ numerator: 2, denominator: 3, met: false });
    expect(row('hospital_outcome_timely', 'AAA')).toMatchObject({ numerator: 2, denominator: 2, met: true });
    expect(row('hospital_outcome_timely', 'BBB')).toMatchObject({ numerator: 0, denominator: 1, met: false });
    expect(row('hospital_outcome_timely', 'ALL')).toMatchObject({
      numerator: 2,
      denominator: 3,
      standard: 95,
    });
    expect(row('survival_to_discharge', 'BBB')).toMatchObject({
      numerator: 2,
      denominator: 2,
      standard: null,
      met: null,
    });
    expect(row('complications_dated_graded', 'ALL')).toMatchObject({
      denominator: 0,
      estimate: null,
      met: null,
    });
  });

  it('in the external profile, stars small site counts, hides their intervals, and keeps national figures exact', () => {
    const many = (site: string, n: number, dead: number) =>
      Array.from({ length: n }, (_, i) =>
        patient({ site, ...(i < dead ? { outcome: 'death' as const, outcomeAt: START + 2 * DAY } : {}) }),
      );
    const facts = [...many('AAA', 3, 1), ...many('BBB', 40, 10), ...many('CCC', 31, 12)];
    const report = auditReport(facts, { ...CUT, disclosure: { threshold: 7, rounding: 5 } });
    const discharge = measure(report, 'survival_to_discharge');
    const site = (code: string) => discharge.sites.find((s) => s.site === code)!;
    expect(site('AAA')).toMatchObject({ numerator: '*', estimate: null, lower: null, upper: null });
    expect(site('BBB')).toMatchObject({ numerator: 30, denominator: 40 });
    expect(site('BBB').estimate).toBe(0.75);
    expect(discharge.overall).toEqual(wilson(51, 74));
    expect(report.treated.total).toBe(74);
    expect(report.treated.sites.find((s) => s.site === 'AAA')!.total).toBe('*');
    // National figures stay exact, so the star is kept from being recomputed by starring another site too.
    expect(report.treated.byPeriod).toEqual([74]);
    expect(report.treated.sites.filter((s) => s.total === '*').map((s) => s.site)).toEqual(['AAA', 'CCC']);
  });
});

describe('report CSVs', () => {
  it('write a row per published figure, stars included, and the criteria table with yes/no', () => {
    const report = auditReport([patient(), countingOnly('death')], CUT);
    const lines = reportCsv(report).trimEnd().split('\n');
    expect(lines[0]).toBe(REPORT_CSV_HEADER.join(','));
    expect(lines).toContain('treated,patients,ALL,,2,,,,');
    expect(lines).toContain('outcome,survival_to_discharge,ALL,,1,2,0.5,0.0945,0.9055');
    const criteria = criteriaCsv(report).trimEnd().split('\n');
    expect(criteria[0]).toBe(CRITERIA_CSV_HEADER.join(','));
    expect(criteria).toContain(
      'consent_documented,ALL,1,1,100,20.7,100,100,yes,"Consent process documented (consent, or emergency enrolment then consultee advice)"',
    );
  });
});
