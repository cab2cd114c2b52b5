import fc from 'fast-check';
import {
  exposures,
  type ReaderTable,
  type ReaderView,
} from '../../../libs/exports/src/disclosure/intruder.js';
import { SUPPRESSED, type Shown } from '../../../libs/exports/src/disclosure/suppression.js';
import { buildReport, type ReportOptions } from '../../../libs/exports/src/report/audit-report.js';
import type { PatientFacts } from '../../../libs/exports/src/report/facts.js';
import { publishedReport } from '../../../libs/exports/src/report/published-report.js';
import { readerView } from '../../../libs/exports/src/report/reader-view.js';
import { cutOffOf } from '../../../libs/exports/src/dataset/tables.js';
import { dischargedPatient, registries } from '../../support/registries.js';

/**
 * The intruder check of issue 25: everything a reader of a publication (and of the one before it) holds, as
 * an integer program; a small count is protected when the reader cannot narrow it to within 5 either side.
 */

const RULES = { threshold: 7, rounding: 5 };
const PROTECTION = 5;
const OPTIONS: ReportOptions = { cut: cutOffOf('2026-11-30'), disclosure: RULES, followUpStandard: 90 };
const EARLIER = cutOffOf('2026-05-31');

/** A view of the treated table only: site counts as published, the national total exact. */
function treatedOnly(shown: Shown[], national: number, countingOnly = 0): ReaderView {
  const sites = shown.map((_, i) => `S${i + 1}`);
  const table: ReaderTable = {
    id: 'treated',
    kind: 'count',
    rows: shown.map((count, i) => ({ site: sites[i], count })),
    national: { count: national },
    population: 'treated',
    grows: true,
    withheld: false,
  };
  return { rules: RULES, sites, countingOnly, tables: [table] };
}

const exact = (counts: number[]) => ({
  ...treatedOnly(
    counts,
    counts.reduce((a, b) => a + b, 0),
  ),
  rules: null,
});

describe('the intruder model', () => {
  it('bounds a star by the rounded counts beside it and the national total', async () => {
    // S1 is 31 − S2 − S3 with S2 in 8..12 and S3 in 18..22: 1 to 5, not the 1 to 6 protection needs.
    const found = await exposures(
      { view: treatedOnly([SUPPRESSED, 10, 20], 31), truth: exact([1, 9, 21]) },
      null,
      5,
    );
    expect(found).toEqual([
      expect.objectContaining({
        table: 'treated',
        site: 'S1',
        cell: 'count',
        value: 1,
        lo: 1,
        hi: 5,
        needHi: 6,
      }),
    ]);
  });

  it('counts a second star as protection when the rounding leaves room', async () => {
    // S1 + S2 = 31 − S3, 9 to 13: either star may be 1 to 12.
    const found = await exposures(
      { view: treatedOnly([SUPPRESSED, SUPPRESSED, 20], 31), truth: exact([1, 9, 21]) },
      null,
      PROTECTION,
    );
    expect(found).toEqual([]);
  });

  it('subtracts the previous publication: counts that only grow bound the star beside them', async () => {
    const now = { view: treatedOnly([SUPPRESSED, SUPPRESSED, 20], 31), truth: exact([1, 9, 21]) };
    // Alone, either star may be 1 to 12. But S2 and S3 were at least 8 + 18 before and cannot have shrunk:
    // S1 ≤ 31 − 26 = 5.
    const before = { view: treatedOnly([SUPPRESSED, 10, 20], 29), truth: exact([1, 8, 20]) };
    expect(await exposures(now, null, PROTECTION)).toEqual([]);
    expect(await exposures(now, before, PROTECTION)).toContainEqual(
      expect.objectContaining({ publication: 'current', site: 'S1', lo: 1, hi: 5 }),
    );
  });

  it('asks nothing the policy itself gives away: a site published as 0 last month has at most the growth', async () => {
    // S1 was 0 (published as 0) and the national total grew by 3: S1 ≤ 3 whatever is starred.
    const now = { view: treatedOnly([SUPPRESSED, SUPPRESSED, 20], 31), truth: exact([1, 9, 21]) };
    const before = { view: treatedOnly([0, 10, 20], 28), truth: exact([0, 8, 20]) };
    expect(await exposures(now, before, PROTECTION)).toEqual([]);
  });

  it('asks no more than the national figures allow: two stars adding up to a national 2 are 1 each', async () => {
    const found = await exposures(
      { view: treatedOnly([SUPPRESSED, SUPPRESSED, 0], 2), truth: exact([1, 1, 0]) },
      null,
      PROTECTION,
    );
    expect(found).toEqual([]);
  });

  it('refuses a premise the true counts break', async () => {
    // Shown as 10 (8 to 12) while the truth is 13: the model would prove anything.
    await expect(
      exposures({ view: treatedOnly([SUPPRESSED, 10, 20], 34), truth: exact([1, 13, 20]) }, null, PROTECTION),
    ).rejects.toThrow(/premises is false/);
  });
});

/** What the generator publishes, and the intruder run on it and on the previous publication, both checked. */
async function publishAndAttack(facts: readonly PatientFacts[]) {
  const earlierFacts = facts.filter((p) => p.startedAt <= EARLIER.endsAt.getTime());
  const earlierOptions = { ...OPTIONS, cut: EARLIER };
  const previous = await publishedReport(earlierFacts, earlierOptions, null, PROTECTION);
  const current = await publishedReport(
    facts,
    OPTIONS,
    { report: previous.report, facts: earlierFacts },
    PROTECTION,
  );
  const truthOf = (at: readonly PatientFacts[], options: ReportOptions) =>
    readerView(buildReport(at, { ...options, disclosure: null }).report);
  const found = await exposures(
    { view: readerView(current.report), truth: truthOf(facts, OPTIONS) },
    { view: readerView(previous.report), truth: truthOf(earlierFacts, earlierOptions) },
    PROTECTION,
  );
  return { current, previous, found };
}

describe('attack 2: differencing, by integer programming', () => {
  // Found by fast-check, then written out: sites of 1, 10 and 1 patients.
  const registry: PatientFacts[] = [
    dischargedPatient('S1'),
    ...Array.from({ length: 10 }, () => dischargedPatient('S2')),
    dischargedPatient('S3'),
  ];

  it('narrows the stars on the table rules alone (what was published before this check)', async () => {
    const rulesOnly = buildReport(registry, OPTIONS).report;
    expect(rulesOnly.treated.sites.map((s) => s.total)).toEqual([SUPPRESSED, 10, SUPPRESSED]);
    const truth = readerView(buildReport(registry, { ...OPTIONS, disclosure: null }).report);
    const found = await exposures({ view: readerView(rulesOnly), truth }, null, PROTECTION);
    // The national 12 less S2's rounded 10 (8 to 12) leaves the two stars 2 to 4 together: each 1 to 3.
    expect(found).toContainEqual(
      expect.objectContaining({ table: 'treated', site: 'S1', value: 1, lo: 1, hi: 3 }),
    );
  });

  it('narrows none once the secondary suppression is chosen by the check', async () => {
    const { found, current } = await publishAndAttack(registry);
    expect(found).toEqual([]);
    expect(current.report.treated.sites.map((s) => s.total)).toEqual([SUPPRESSED, SUPPRESSED, SUPPRESSED]);
  });

  it('narrows none in the hand-made registry of issue 25 (sites of 1, 9 and 21 patients)', async () => {
    const handMade = [
      dischargedPatient('A'),
      ...Array.from({ length: 9 }, (_, i) =>
        dischargedPatient('B', { outcome: i < 2 ? 'death' : 'discharge' }),
      ),
      ...Array.from({ length: 21 }, () => dischargedPatient('C')),
    ];
    const { found, current } = await publishAndAttack(handMade);
    expect(found).toEqual([]);
    expect(current.report.treated.sites.find((s) => s.site === 'C')?.total).toBe(20);
  });
});

describe('publications of generated registries', () => {
  it('leave no small count narrower than the protection, this month’s or last month’s, with both read together', async () => {
    await fc.assert(
      fc.asyncProperty(registries(30), async (facts) => {
        const { found, current } = await publishAndAttack(facts);
        // None of this month's; of last month's, only what the generator could not protect even publishing
        // nothing by site, and says so (the national figures and last month's own counts narrow them).
        expect(found.filter((e) => e.publication === 'current')).toEqual([]);
        expect(found.length).toBe(current.previousLeftExposed);
        // The rules hold: every site count of 1 to 7 in a published table is a star.
        const truth = readerView(buildReport(facts, { ...OPTIONS, disclosure: null }).report);
        const shown = readerView(current.report);
        for (const table of shown.tables.filter((t) => !t.withheld)) {
          const exactTable = truth.tables.find((t) => t.id === table.id)!;
          table.rows.forEach((row, i) => {
            const count = exactTable.rows[i].count as number;
            const cell = { table: table.id, site: row.site, exact: count, shown: row.count };
            if (count >= 1 && count <= RULES.threshold) expect(cell).toEqual({ ...cell, shown: SUPPRESSED });
          });
        }
      }),
      // A fixed seed keeps the suite's time steady (the search grows with the registry); DISCLOSURE_SEED
      // explores others, and a failure prints its seed.
      { numRuns: 10, seed: Number(process.env.DISCLOSURE_SEED ?? 1) },
    );
  }, 600_000);
});
