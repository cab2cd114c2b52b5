import { auditReport, type ShownProportion } from '../../../libs/exports/src/report/audit-report.js';
import type { PatientFacts } from '../../../libs/exports/src/report/facts.js';
import { dischargedPatient } from '../../support/registries.js';
import { cutOffOf } from '../../../libs/exports/src/dataset/tables.js';
import { SUPPRESSED, wilson, type Shown } from '../../../libs/exports/src/index.js';

/**
 * Issue 25's first attack, as an outside analyst would run it on a published report: a site's interval
 * printed beside its rounded counts. If the interval was computed from the exact counts, the few (x, n)
 * that the rounding allows and that give the printed interval to its 4 decimals pin the exact counts.
 * Before the fix (tried on the code of 73a3f85) this recovered 21/21 behind a printed 20/20.
 */

const RULES = { threshold: 7, rounding: 5 };
const discharged = (site: string) => dischargedPatient(site);

/** A 3-site registry: one site of 1 patient, one of 9, one of 21; everyone discharged alive. */
const REGISTRY: PatientFacts[] = [
  discharged('A'),
  ...Array.from({ length: 9 }, () => discharged('B')),
  ...Array.from({ length: 21 }, () => discharged('C')),
];
const TRUE_SIZE: Readonly<Record<string, number>> = { A: 1, B: 9, C: 21 };

/** The integers a published count can stand for, under the published rules. */
function possible(shown: Shown): number[] {
  if (shown === SUPPRESSED) return Array.from({ length: RULES.threshold }, (_, i) => i + 1);
  if (shown === 0) return [0];
  const half = Math.floor(RULES.rounding / 2);
  return Array.from({ length: 2 * half + 1 }, (_, i) => shown - half + i).filter((x) => x > RULES.threshold);
}

const round4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);

/** The exact counts the printed interval is consistent with, assuming it was computed from them. */
function invert(row: ShownProportion): [number, number][] {
  if (row.lower === null || row.numerator === SUPPRESSED || row.denominator === SUPPRESSED) return [];
  const found: [number, number][] = [];
  for (const n of possible(row.denominator)) {
    for (const x of possible(row.numerator)) {
      if (x > n) continue;
      const w = wilson(x, n);
      if (round4(w.lower) === round4(row.lower) && round4(w.upper) === round4(row.upper)) found.push([x, n]);
    }
  }
  return found;
}

describe('attack 1: an interval printed beside rounded counts', () => {
  const report = auditReport(REGISTRY, {
    cut: cutOffOf('2026-10-31'),
    disclosure: RULES,
    followUpStandard: 90,
  });
  const rows = [
    ...report.outcomes.flatMap((o) => o.sites.map((s) => ({ table: o.measure, ...s }))),
    ...report.criteria.filter((r) => r.site !== 'ALL').map((r) => ({ table: r.criterion, ...r })),
  ];

  it('prints an interval beside the rounded counts of the 21-patient site (the case the attack needs)', () => {
    const discharge = rows.find((r) => r.table === 'survival_to_discharge' && r.site === 'C')!;
    expect(discharge).toMatchObject({ numerator: 20, denominator: 20 });
    expect(discharge.lower).not.toBeNull();
  });

  it('recovers no site’s exact count from its interval', () => {
    const recovered = rows
      .map((r) => ({ table: r.table, site: r.site, candidates: invert(r) }))
      .filter(
        (r) =>
          r.candidates.length === 1 &&
          r.candidates[0][1] === TRUE_SIZE[r.site] &&
          TRUE_SIZE[r.site] % 5 !== 0,
      );
    expect(recovered).toEqual([]);
  });

  it('prints every site’s percentage and interval as the Wilson interval of its published counts', () => {
    for (const r of rows) {
      if (r.numerator === SUPPRESSED || r.denominator === SUPPRESSED || r.estimate === null) continue;
      const published = wilson(r.numerator, r.denominator);
      expect({ ...r, estimate: r.estimate, lower: r.lower, upper: r.upper }).toEqual({
        ...r,
        estimate: published.estimate,
        lower: published.lower,
        upper: published.upper,
      });
    }
  });
});
