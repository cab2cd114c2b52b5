import type { Population, ReaderTable, ReaderView } from '../disclosure/intruder.js';
import { SUPPRESSED } from '../disclosure/suppression.js';
import { wilson } from '../statistics/index.js';
import { round4, type AuditReport, type ShownProportion } from './audit-report.js';

/**
 * How each table's denominators nest in the report's populations (see `auditReport`): the consent and MDT
 * criteria count every patient with full data once; the other measures count some of them (the rest are
 * excluded, e.g. still in hospital); survival to discharge counts treated patients with an outcome.
 */
function populationOf(id: string): Population {
  if (id === 'treated') return 'treated';
  if (id === 'consent_documented' || id === 'mdt_decision_recorded') return 'full';
  if (id === 'survival_to_discharge') return 'within_treated';
  if (id === 'pre_ecmo_state_recorded' || id === 'complications_dated_graded') return null; // per run, per complication
  return 'within_full';
}

/** Counts that never fall from one cut-off to the next. */
const GROWS = new Set(['treated', 'survival_to_discharge']);

/**
 * What a reader of the published report holds, table by table. Throws where a percentage, interval or met
 * verdict says more than the published counts (the intruder model would not cover it).
 */
export function readerView(report: AuditReport): ReaderView {
  const withheld = new Set(report.withheld);
  const sites = report.treated.sites.map((s) => s.site);
  const tables: ReaderTable[] = [
    {
      id: 'treated',
      kind: 'count',
      rows: report.treated.sites.map((s) => ({
        site: s.site,
        count: withheld.has('treated') ? null : s.total,
      })),
      national: { count: report.treated.total },
      population: 'treated',
      grows: true,
      withheld: withheld.has('treated'),
    },
  ];
  const proportion = (
    id: string,
    rows: readonly ({ site: string } & ShownProportion)[],
    overall: { numerator: number; denominator: number },
  ) => {
    if (tables.some((t) => t.id === id)) return;
    for (const row of rows) onlyFromCounts(id, row);
    tables.push({
      id,
      kind: 'proportion',
      rows: rows.map((r) => ({
        site: r.site,
        count: withheld.has(id) ? null : r.numerator,
        total: withheld.has(id) ? null : r.denominator,
      })),
      national: { count: overall.numerator, total: overall.denominator },
      population: populationOf(id),
      grows: GROWS.has(id),
      withheld: withheld.has(id),
    });
  };
  for (const o of report.outcomes) proportion(o.measure, o.sites, o.overall);
  const criteria = [...new Set(report.criteria.map((r) => r.criterion))];
  for (const id of criteria) {
    const rows = report.criteria.filter((r) => r.criterion === id);
    proportion(
      id,
      rows.filter((r) => r.site !== 'ALL'),
      rows.find((r) => r.site === 'ALL') as { numerator: number; denominator: number },
    );
  }
  return {
    rules: report.disclosure,
    sites,
    countingOnly: report.treated.countingOnly,
    tables,
  };
}

/** A site's estimate and interval are either absent or those of its published counts. */
function onlyFromCounts(id: string, row: { site: string } & ShownProportion): void {
  if (row.estimate === null && row.lower === null && row.upper === null) return;
  const fromCounts =
    row.numerator !== SUPPRESSED && row.denominator !== SUPPRESSED
      ? wilson(row.numerator, row.denominator)
      : null;
  if (
    !fromCounts ||
    round4(fromCounts.estimate) !== round4(row.estimate) ||
    round4(fromCounts.lower) !== round4(row.lower) ||
    round4(fromCounts.upper) !== round4(row.upper)
  ) {
    throw new Error(`${id} at ${row.site}: a figure says more than the published counts`);
  }
}
