import {
  exposures,
  ModelContradiction,
  type CellKind,
  type Exposure,
  type Published,
} from '../disclosure/intruder.js';
import { SUPPRESSED, type Position, type ProtectedTable } from '../disclosure/suppression.js';
import { buildReport, type AuditReport, type ReportOptions } from './audit-report.js';
import { cutOffOf } from '../dataset/tables.js';
import type { PatientFacts } from './facts.js';
import { readerView } from './reader-view.js';

export interface PublishedReport {
  readonly report: AuditReport;
  /** Cells suppressed beyond the table rules so that the intruder check holds, and the rounds it took. */
  readonly forced: number;
  readonly rounds: number;
  /** Whether the previous publication was taken into account (false: none, or it contradicts this one). */
  readonly previousChecked: boolean;
  /** Small counts of the previous publication that this one could not protect even withheld. */
  readonly previousLeftExposed: number;
}

/** Candidates tried against one exposed cell before one is taken on trust. */
const TRIALS = 4;
/** Times one exposed cell is tried before its table is withheld. */
const ATTEMPTS = 3;

/**
 * The report of a protected profile, its secondary suppression chosen so that the intruder check passes:
 * the table rules first (`protectTable`), then, while the intruder narrows a small count below the
 * protection, one more cell suppressed at a time (the one that protects it, tried in order: the same site,
 * the same column, the smallest counts first). A count still exposed after ATTEMPTS rounds has its table
 * withheld (published nationally only). The previous publication of the same profile is part of what the
 * reader has: one of its counts that this report narrows even so has every table of this report withheld,
 * and what then remains exposed (the national figures alone narrow it) is counted, not hidden.
 */
export async function publishedReport(
  facts: readonly PatientFacts[],
  options: ReportOptions,
  /** The previous publication of the profile, and the registry's facts at its cut-off (as held now). */
  previous: { readonly report: AuditReport; readonly facts: readonly PatientFacts[] } | null,
  protection: number,
): Promise<PublishedReport> {
  if (!options.disclosure) {
    return {
      report: buildReport(facts, options).report,
      forced: 0,
      rounds: 0,
      previousChecked: false,
      previousLeftExposed: 0,
    };
  }
  const exact = (at: readonly PatientFacts[], cut: ReportOptions['cut']) =>
    readerView(buildReport(at, { ...options, cut, disclosure: null }, 'tables').report);
  const truth = exact(facts, options.cut);
  const forced = new Map<string, Position[]>();
  const withhold = new Set<string>();
  const memo = new Map<string, ProtectedTable>();
  let before: Published | null = previous
    ? { view: readerView(previous.report), truth: exact(previous.facts, cutOffOf(previous.report.cutOff)) }
    : null;
  const attempt = (extra?: { table: string; at: Position }) => {
    const trial = new Map(forced);
    if (extra) trial.set(extra.table, [...(trial.get(extra.table) ?? []), extra.at]);
    return buildReport(facts, { ...options, forced: trial, withhold, memo }, 'tables');
  };
  const exposed = async (built: ReturnType<typeof attempt>, weak?: Exposure): Promise<Exposure[]> => {
    const current: Published = { view: readerView(built.report), truth };
    const options = weak ? { checked: (c: Cell) => same(c, weak), trusted: true } : {};
    try {
      return await exposures(current, before, protection, options);
    } catch (error) {
      if (!before || !(error instanceof ModelContradiction)) throw error;
      // An earlier report that cannot sit with this one (a record voided since, a site's count corrected)
      // gives a reader no sound premise: it is still read, but its cells are no longer checked against what
      // the registry holds now; if even that contradicts this report, it is left out.
      if (before.truth) before = { view: before.view };
      else before = null;
      return exposed(built, weak);
    }
  };
  const attempts = new Map<string, number>();
  let withholdAll = false;
  const inherited = new Set<string>();
  for (let rounds = 1; ; rounds++) {
    const found = (await exposed(attempt())).filter((e) => !inherited.has(keyOf(e)));
    if (found.length === 0) {
      return {
        report: buildReport(facts, { ...options, forced, withhold }).report,
        forced: [...forced.values()].reduce((n, cells) => n + cells.length, 0),
        rounds,
        previousChecked: before !== null,
        previousLeftExposed: inherited.size,
      };
    }
    // Each exposed cell in turn, against the stars chosen so far this round; then the whole check again. A
    // cell tried ATTEMPTS times has its table withheld; one of the previous publication that even that does
    // not protect is left as it was published (this publication cannot take it back).
    for (const weak of found) {
      const key = keyOf(weak);
      const tried = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, tried);
      if (withhold.has(weak.table) || tried > ATTEMPTS) {
        if (!withhold.has(weak.table)) withhold.add(weak.table);
        else if (weak.publication === 'previous' && !withholdAll) {
          // The earlier count is narrowed by this report's other tables: none is published by site.
          withholdAll = true;
          for (const id of truth.tables.map((t) => t.id)) withhold.add(id);
        } else inherited.add(key);
        continue;
      }
      const built = attempt();
      if ((await exposed(built, weak)).length > 0) await protectOne(weak, built);
    }
  }

  async function protectOne(weak: Exposure, built: ReturnType<typeof attempt>): Promise<void> {
    const candidates = candidatesFor(weak, built.tables, truth.sites.indexOf(weak.site));
    // The first candidate that protects the cell; failing that, the one that widens its range the most.
    let chosen: (typeof candidates)[number] | undefined;
    let best = Infinity;
    for (const candidate of candidates.slice(0, TRIALS)) {
      const [still] = await exposed(attempt(candidate), weak);
      const gap = still ? shortfall(still) : 0;
      if (gap < best) {
        best = gap;
        chosen = candidate;
      }
      if (gap === 0) break;
    }
    if (chosen) forced.set(chosen.table, [...(forced.get(chosen.table) ?? []), chosen.at]);
    else withhold.add(weak.table);
  }
}

/** How far a cell's range falls short of the protection, both ends together. */
function shortfall(e: Exposure): number {
  return Math.max(0, e.lo - e.needLo) + Math.max(0, e.needHi - e.hi);
}

type Cell = { table: string; site: string; cell: CellKind };

/** One exposed cell of one publication, as a key. */
function keyOf(e: Exposure): string {
  return `${e.publication}/${e.table}/${e.site}/${e.cell}`;
}

function same(cell: Cell, other: Exposure): boolean {
  return cell.table === other.table && cell.site === other.site && cell.cell === other.cell;
}

/**
 * Cells that may protect an exposed one, best first: shown (not yet starred), not 0, sub-national; in its own
 * table the same site, then the same column, the smallest counts first; then the site's treated count.
 */
function candidatesFor(
  weak: Exposure,
  tables: ReturnType<typeof buildReport>['tables'],
  row: number,
): { table: string; at: Position }[] {
  const found: { table: string; at: Position; rank: number }[] = [];
  const add = (id: string, rankOf: (r: number, c: number) => number) => {
    const table = tables.get(id);
    if (!table || table.shown.withheld) return;
    const width = table.counts[0]?.length ?? 0;
    table.counts.forEach((cells, r) => {
      const withTotal = [...cells, cells.reduce((a, b) => a + b, 0)];
      withTotal.forEach((value, c) => {
        const shown = c < width ? table.shown.cells[r][c] : table.shown.rowTotals[r];
        if (value === 0 || shown === SUPPRESSED) return;
        if (id === 'treated' && c === width && width === 1) return; // the site's total is its one cell
        found.push({ table: id, at: [r, c], rank: rankOf(r, c) * 1e9 + value });
      });
    });
  };
  const column = weak.cell === 'count' ? 0 : weak.cell === 'rest' ? 1 : 2;
  add(weak.table, (r, c) => (r === row ? 0 : c === column ? 1 : 2));
  if (weak.table !== 'treated') add('treated', (r) => (r === row ? 3 : 4));
  return found.sort((a, b) => a.rank - b.rank).map(({ table, at }) => ({ table, at }));
}
