import GLPK, { type LP } from 'glpk.js/node';
import { SUPPRESSED, type DisclosureRules, type Shown } from './suppression.js';

/**
 * The intruder: everything a reader of published reports knows, as an integer program, and for each small
 * count the range of values it could still have. Solved with GLPK (branch and bound, exact on integers).
 *
 * What the reader has, per publication:
 * - each site's published count as a range: a rounded count v is any integer that rounds to v and is above
 *   the threshold (or was starred as a complement, which the reader cannot tell: a star is any integer ≥ 1);
 *   a 0 is 0; an exact count is itself;
 * - every national figure exactly, and that a site's counts add up to its total;
 * - how the report's populations nest: the treated patients of a site, the patients with full data (the
 *   treated less those kept as a count only, whose national number is published), and the denominators
 *   counted over them (equal to them, or within them);
 * - the publication of an earlier cut-off: counts that only grow (patients treated, discharged alive) are no
 *   smaller now than then, so two monthly reports can be subtracted.
 * Percentages, intervals and met verdicts are computed from the published counts (the report's rule), so
 * they tell no more than the counts; `readerView` refuses a report where one is not.
 *
 * A primary cell (a site's count of 1 to the threshold) of true value x is protected when its feasible
 * integer range [lo, hi] reaches lo ≤ max(1, x − p) and hi ≥ x + p, p the protection, capped by what the
 * publishing policy alone gives away: the range the cell has when every published count of both reports is
 * read as a star (national figures exact, a 0 as 0, populations nested). No pattern of stars does better.
 */

/** How a table's denominators nest in the report's populations. */
export type Population =
  /** The table is the count of treated patients per site (it defines the population). */
  | 'treated'
  /** Denominator = the site's patients with full data. */
  | 'full'
  /** Denominator ≤ the site's patients with full data. */
  | 'within_full'
  /** Denominator ≤ the site's treated patients. */
  | 'within_treated'
  | null;

export interface ReaderRow {
  readonly site: string;
  /** The published count (a proportion's numerator); null where not published. */
  readonly count: Shown | null;
  /** A proportion's published denominator; undefined for a plain count. */
  readonly total?: Shown | null;
}

export interface ReaderTable {
  readonly id: string;
  /** A proportion (count out of total, the rest unpublished) or a plain count. */
  readonly kind: 'count' | 'proportion';
  /** One row per site, in the publication's site order. */
  readonly rows: readonly ReaderRow[];
  /** National figures, exact: the count, and a proportion's total. */
  readonly national: { readonly count: number; readonly total?: number };
  readonly population: Population;
  /** The counts only grow from one cut-off to the next (patients treated, discharged alive). */
  readonly grows: boolean;
  /** No sub-national cell is published (its rows are null): none is checked. */
  readonly withheld: boolean;
}

export interface ReaderView {
  /** How counts were published; null: exactly (the internal profile, or the truth). */
  readonly rules: DisclosureRules | null;
  readonly sites: readonly string[];
  /** Treated patients kept as a count only, nationally. */
  readonly countingOnly: number;
  readonly tables: readonly ReaderTable[];
}

/** One small count whose range is too narrow. */
export interface Exposure {
  readonly publication: 'current' | 'previous';
  readonly table: string;
  readonly site: string;
  /** count: the published count; rest: a proportion's total less its count; total: its denominator. */
  readonly cell: CellKind;
  readonly value: number;
  /** What the reader can tell: the feasible integer range. */
  readonly lo: number;
  readonly hi: number;
  /** What protection needed: lo ≤ needLo and hi ≥ needHi. */
  readonly needLo: number;
  readonly needHi: number;
}

export type CellKind = 'count' | 'rest' | 'total';

export interface Published {
  readonly view: ReaderView;
  /** The same tables with exact counts: given, the cells are checked (and the model against them). */
  readonly truth?: ReaderView;
}

type Term = readonly [name: string, coef: number];
interface Row {
  readonly terms: readonly Term[];
  readonly lo: number;
  readonly hi: number;
}
interface Cell {
  readonly publication: 'current' | 'previous';
  readonly table: string;
  readonly site: string;
  readonly cell: CellKind;
  readonly terms: readonly Term[];
  readonly value: number;
  readonly needLo: number;
  readonly needHi: number;
}

type Solver = Awaited<ReturnType<typeof GLPK>>;
let loading: Promise<Solver> | null = null;

/** GLPK, loaded once (a WebAssembly module). */
export function loadSolver(): Promise<Solver> {
  loading ??= GLPK();
  return loading;
}

/** The integers a published count can stand for. */
export function countRange(shown: Shown | null, rules: DisclosureRules | null): [number, number] {
  if (shown === null) return [0, Infinity];
  if (shown === SUPPRESSED) return [1, Infinity];
  if (shown === 0 || rules === null || rules.rounding <= 1) return [shown, shown];
  // Math.round(x / r) * r = v for x in [v − r/2, v + r/2); and a shown count is above the threshold.
  return [
    Math.max(Math.ceil(shown - rules.rounding / 2), rules.threshold + 1),
    Math.ceil(shown + rules.rounding / 2) - 1,
  ];
}

/** The integer program of what a reader knows, and the small cells to check. */
class Model {
  readonly rows: Row[] = [];
  readonly variables = new Set<string>();
  readonly cells: Cell[] = [];
  /** The truth, cell by cell: each published count and total fixed at its exact value. */
  readonly truthRows: Row[] = [];

  /**
   * policy: the model of what the publishing policy alone tells (national figures exact, a 0 as 0, any other
   * published count as at least 1), to cap what protection can ask of a cell.
   */
  constructor(
    private readonly protection: number,
    private readonly policy = false,
  ) {}

  variable(name: string): string {
    this.variables.add(name);
    return name;
  }

  constrain(terms: readonly Term[], lo: number, hi: number): void {
    if (lo === -Infinity && hi === Infinity) return;
    this.rows.push({ terms, lo, hi });
  }

  /** Adds one publication; returns per table id and site index its count and total terms. */
  add(
    prefix: 'current' | 'previous',
    published: Published,
  ): Map<string, { count: Term[][]; total: Term[][] }> {
    const { view, truth } = published;
    const p = prefix === 'current' ? 'c' : 'p';
    const treated = view.sites.map((_, s) => this.variable(`${p}_T_${s}`));
    const full = view.sites.map((_, s) => this.variable(`${p}_F_${s}`));
    // The patients with full data are the treated less those kept as a count only.
    view.sites.forEach((_, s) =>
      this.constrain(
        [
          [full[s], 1],
          [treated[s], -1],
        ],
        -Infinity,
        0,
      ),
    );
    this.constrain(
      view.sites.flatMap((_, s): Term[] => [
        [treated[s], 1],
        [full[s], -1],
      ]),
      view.countingOnly,
      view.countingOnly,
    );
    const terms = new Map<string, { count: Term[][]; total: Term[][] }>();
    view.tables.forEach((table, t) => {
      const exact = truth?.tables.find((x) => x.id === table.id);
      const count: Term[][] = [];
      const total: Term[][] = [];
      const rest: Term[][] = [];
      const trueRow = (site: string) => exact?.rows.find((r) => r.site === site);
      const range = (shown: Shown | null, exactValue: Shown | null | undefined): [number, number] => {
        if (!this.policy) return countRange(shown, view.rules);
        if (shown === null) return [0, Infinity];
        const value = typeof exactValue === 'number' ? exactValue : shown;
        return value === 0 ? [0, 0] : [1, Infinity];
      };
      table.rows.forEach((row, s) => {
        const site = view.sites.indexOf(row.site);
        if (table.kind === 'count') {
          const c: Term[] = [
            [table.population === 'treated' ? treated[site] : this.variable(`${p}_${t}_${s}_y`), 1],
          ];
          count.push(c);
          total.push(c);
          rest.push([]);
        } else {
          const y = this.variable(`${p}_${t}_${s}_y`);
          const n = this.variable(`${p}_${t}_${s}_n`);
          count.push([[y, 1]]);
          rest.push([[n, 1]]);
          total.push([
            [y, 1],
            [n, 1],
          ]);
        }
        const [cl, ch] = range(row.count, trueRow(row.site)?.count);
        this.constrain(count[s], cl, ch);
        if (table.kind === 'proportion') {
          const [tl, th] = range(row.total ?? null, trueRow(row.site)?.total);
          this.constrain(total[s], tl, th);
        }
        const d = total[s];
        if (table.population === 'full') this.constrain([...d, [full[site], -1]], 0, 0);
        if (table.population === 'within_full') this.constrain([...d, [full[site], -1]], -Infinity, 0);
        if (table.population === 'within_treated') this.constrain([...d, [treated[site], -1]], -Infinity, 0);
      });
      this.constrain(count.flat(), table.national.count, table.national.count);
      if (table.kind === 'proportion') {
        const nationalTotal = table.national.total ?? 0;
        this.constrain(total.flat(), nationalTotal, nationalTotal);
      }
      terms.set(table.id, { count, total });
      if (!exact || this.policy) return;
      // The truth, row by row of the published table (by site): a site missing from it is a false premise.
      const truthRows = table.rows.map((row) => {
        const found = exact.rows.find((r) => r.site === row.site);
        if (!found) throw new ModelContradiction(`${table.id}: ${row.site} is not in the true counts`);
        return found;
      });
      truthRows.forEach((row, s) => {
        this.truthRows.push({ terms: count[s], lo: row.count as number, hi: row.count as number });
        if (table.kind === 'proportion')
          this.truthRows.push({ terms: total[s], lo: row.total as number, hi: row.total as number });
      });
      if (table.withheld) return;
      // The cells to check (what the policy alone allows caps the targets: see `exposures`).
      const kinds: [CellKind, Term[][], (r: ReaderRow) => number][] = [
        ['count', count, (r) => r.count as number],
      ];
      if (table.kind === 'proportion') {
        kinds.push(
          ['rest', rest, (r) => (r.total as number) - (r.count as number)],
          ['total', total, (r) => r.total as number],
        );
      }
      for (const [cell, cellTerms, valueOf] of kinds) {
        truthRows.map(valueOf).forEach((value, s) => {
          if (value < 1 || view.rules === null || value > view.rules.threshold) return;
          this.cells.push({
            publication: prefix,
            table: table.id,
            site: table.rows[s].site,
            cell,
            terms: cellTerms[s],
            value,
            needLo: Math.max(1, value - this.protection),
            needHi: value + this.protection,
          });
        });
      }
    });
    return terms;
  }
}

const FEASIBLE = new Set<number>();

/** What the reader is given has no solution (or the truth is not one): a premise of the model is false. */
export class ModelContradiction extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelContradiction';
  }
}

/**
 * The cells of the current publication (and of the previous one, where its truth is given) that a reader can
 * narrow down below the protection. An empty list: every small count is protected.
 */
export async function exposures(
  current: Published,
  previous: Published | null,
  protection: number,
  options: {
    /** Check these cells only. */
    readonly checked?: (cell: { table: string; site: string; cell: CellKind }) => boolean;
    /** The model was already checked against the truth (a trial of one more star). */
    readonly trusted?: boolean;
  } = {},
): Promise<Exposure[]> {
  const glpk = await loadSolver();
  FEASIBLE.add(glpk.GLP_OPT).add(glpk.GLP_FEAS);
  const model = build(new Model(protection), current, previous);
  const cells = options.checked ? model.cells.filter(options.checked) : model.cells;
  if (cells.length === 0) return [];

  const { solve, valueIn } = solverFor(glpk, model);

  // The model must hold the truth: a reader's premise that is false would prove anything.
  if (!options.trusted && !solve('min', [], model.truthRows)) {
    throw new ModelContradiction(
      model.truthRows.length > 0
        ? 'the true counts break the intruder model: one of its premises is false'
        : 'the publications contradict each other',
    );
  }

  const low = new Set(cells);
  const high = new Set(cells);
  const witness = (vars: Record<string, number> | null) => {
    if (!vars) return;
    for (const c of cells) {
      const v = valueIn(vars, c.terms);
      if (v <= c.needLo) low.delete(c);
      if (v >= c.needHi) high.delete(c);
    }
  };
  // Solutions pushing every small cell not yet witnessed down (then up), again while they witness more: most
  // cells are witnessed a few solves, the rest one by one.
  for (const [direction, open] of [
    ['min', low],
    ['max', high],
  ] as const) {
    for (let left = Infinity; open.size > 0 && open.size < left;) {
      left = open.size;
      witness(
        solve(
          direction,
          [...open].flatMap((c) => c.terms),
          null,
        ),
      );
    }
  }
  const exposed = new Set<Cell>();
  for (const c of cells) {
    if (low.has(c)) {
      const vars = solve('min', c.terms, { terms: c.terms, lo: -Infinity, hi: c.needLo });
      if (vars) witness(vars);
      else exposed.add(c);
    }
    if (high.has(c)) {
      const vars = solve('max', c.terms, { terms: c.terms, lo: c.needHi, hi: Infinity });
      if (vars) witness(vars);
      else exposed.add(c);
    }
  }
  if (exposed.size === 0) return [];
  // What the policy alone leaves a cell (the national figures of both publications, a 0 as 0, any other
  // published count as at least 1) caps what protection can ask of it.
  const policy = solverFor(glpk, build(new Model(protection, true), current, previous));
  const found: Exposure[] = [];
  for (const c of exposed) {
    const range = (at: typeof policy, direction: 'min' | 'max') => {
      const vars = at.solve(direction, c.terms, null);
      return vars ? at.valueIn(vars, c.terms) : NaN;
    };
    const [lo, hi] = [range({ solve, valueIn }, 'min'), range({ solve, valueIn }, 'max')];
    const [policyLo, policyHi] = [range(policy, 'min'), range(policy, 'max')];
    const needLo = Math.max(c.needLo, policyLo);
    const needHi = Math.min(c.needHi, policyHi);
    if (lo <= needLo && hi >= needHi) continue;
    found.push({
      publication: c.publication,
      table: c.table,
      site: c.site,
      cell: c.cell,
      value: c.value,
      lo,
      hi,
      needLo,
      needHi,
    });
  }
  return found;
}

function solverFor(glpk: Solver, model: Model) {
  const names = [...model.variables];
  const base: LP = {
    name: 'intruder',
    objective: { direction: glpk.GLP_MIN, name: 'z', vars: [] },
    subjectTo: model.rows.map((row, i) => ({
      name: `r${i}`,
      vars: row.terms.map(([name, coef]) => ({ name, coef })),
      bnds: bounds(glpk, row.lo, row.hi),
    })),
    bounds: names.map((name) => ({ name, type: glpk.GLP_LO, lb: 0, ub: 0 })),
    generals: names,
  };
  const solve = (
    direction: 'min' | 'max',
    objective: readonly Term[],
    extra: Row | readonly Row[] | null,
  ) => {
    const extras = extra === null ? [] : 'terms' in extra ? [extra] : extra;
    const lp: LP = {
      ...base,
      objective: {
        direction: direction === 'min' ? glpk.GLP_MIN : glpk.GLP_MAX,
        name: 'z',
        vars: objective.map(([name, coef]) => ({ name, coef })),
      },
      subjectTo: [
        ...base.subjectTo,
        ...extras.map((row, i) => ({
          name: `x${i}`,
          vars: row.terms.map(([name, coef]) => ({ name, coef })),
          bnds: bounds(glpk, row.lo, row.hi),
        })),
      ],
    };
    const { result } = glpk.solve(lp, { msglev: glpk.GLP_MSG_OFF, presol: true, tmlim: 60 });
    return FEASIBLE.has(result.status) ? result.vars : null;
  };
  const valueIn = (vars: Record<string, number>, terms: readonly Term[]) =>
    terms.reduce((sum, [name, coef]) => sum + coef * Math.round(vars[name] ?? 0), 0);
  return { solve, valueIn };
}

/** The model of both publications, and the growing counts that tie the earlier to this one. */
function build(model: Model, current: Published, previous: Published | null): Model {
  const now = model.add('current', current);
  if (previous) {
    const then = model.add('previous', previous);
    // Counts that only grow: the earlier report is a lower bound of this one, site by site.
    for (const [id, earlier] of then) {
      const table = current.view.tables.find((t) => t.id === id);
      const later = now.get(id);
      if (!table?.grows || !later) continue;
      const previousTable = previous.view.tables.find((t) => t.id === id)!;
      previousTable.rows.forEach((row, s) => {
        const i = table.rows.findIndex((r) => r.site === row.site);
        if (i < 0) return;
        model.constrain(
          [...earlier.count[s], ...later.count[i].map(([n, c]): Term => [n, -c])],
          -Infinity,
          0,
        );
        if (table.kind === 'proportion')
          model.constrain(
            [...earlier.total[s], ...later.total[i].map(([n, c]): Term => [n, -c])],
            -Infinity,
            0,
          );
      });
    }
  }
  return model;
}

function bounds(glpk: Solver, lo: number, hi: number): { type: number; lb: number; ub: number } {
  if (lo === hi) return { type: glpk.GLP_FX, lb: lo, ub: hi };
  if (hi === Infinity) return { type: glpk.GLP_LO, lb: lo, ub: 0 };
  if (lo === -Infinity) return { type: glpk.GLP_UP, lb: 0, ub: hi };
  return { type: glpk.GLP_DB, lb: lo, ub: hi };
}
