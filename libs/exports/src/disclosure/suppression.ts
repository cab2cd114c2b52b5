/**
 * Statistical disclosure control of a two-way table of counts (rows: sites; columns: categories), as NHS
 * hospital statistics practise it: sub-national counts of 1 to `threshold` (7) are shown as `*` (primary
 * suppression), other sub-national counts rounded to the nearest `rounding` (5), 0 stays 0; national figures
 * (the column totals and the grand total) are exact.
 *
 * Secondary suppression. The table is read with its margins as an (R + 1) × (C + 1) array bound by one linear
 * relation per row and per column (the cells add up to the total). Someone who knew every shown value
 * exactly (the worst case: rounding undone) could solve those relations for a suppressed cell exactly when
 * that cell is a bridge of the graph whose nodes are the rows and columns and whose edges are the suppressed
 * cells: a cell on a cycle can move by +δ/−δ around the cycle without changing any total. So every
 * suppressed cell is put on a cycle, joining it through the cheapest path of further cells (the smallest
 * counts; a national column total only when no sub-national path exists; never the grand total and never a
 * 0, which is shown as 0 anyway and would let non-negativity pin a cycle). Then every complementary cell
 * that is not needed is released again, the largest first, so none is hidden without need.
 * A table that cannot be protected at all (a suppressed count that equals a national figure) is withheld.
 */

export interface DisclosureRules {
  /** Counts from 1 to this are suppressed. */
  readonly threshold: number;
  /** Other sub-national counts are rounded to the nearest multiple of this (1: not rounded). */
  readonly rounding: number;
}

export const DEFAULT_DISCLOSURE_RULES: DisclosureRules = { threshold: 7, rounding: 5 };

export const SUPPRESSED = '*';
export type Shown = number | typeof SUPPRESSED;

export interface ProtectedTable {
  /** Shown cells, rows × columns. */
  readonly cells: Shown[][];
  /** Shown row (site) totals. */
  readonly rowTotals: Shown[];
  /** Shown column (national) totals: exact unless needed as a complementary cell. */
  readonly columnTotals: Shown[];
  readonly total: number;
  /**
   * True when no pattern protects the primary cells (a suppressed count equals a national figure): the
   * sub-national cells are not to be published at all; only the national totals are.
   */
  readonly withheld: boolean;
  /** Positions [row, column] in the augmented table (row R: column totals; column C: row totals). */
  readonly primary: readonly (readonly [number, number])[];
  readonly secondary: readonly (readonly [number, number])[];
}

/** The table with its margins: (R + 1) × (C + 1), row R the column totals, column C the row totals. */
export function augment(counts: readonly (readonly number[])[]): number[][] {
  const columns = counts[0]?.length ?? 0;
  const rows = counts.map((row) => [...row, row.reduce((a, b) => a + b, 0)]);
  const totals = Array.from({ length: columns + 1 }, (_, c) => rows.reduce((sum, row) => sum + row[c], 0));
  return [...rows, totals];
}

export type Position = readonly [number, number];

/** What the caller adds to the rules for one table. */
export interface ProtectOptions {
  /** Cells [row, column] of the augmented table to suppress as well (chosen by a stronger check). */
  readonly forced?: readonly Position[];
  /**
   * The national totals are published elsewhere exactly (the report prints every overall figure): never
   * use one as a complementary cell. A table that then cannot be protected is withheld.
   */
  readonly nationalExact?: boolean;
  /** Publish no sub-national cell of this table (a stronger check found no pattern that protects it). */
  readonly withhold?: boolean;
}

/** Whether the suppressed cell (r, c) lies on a cycle of suppressed cells (rows and columns as nodes). */
function onCycle(
  suppressed: ReadonlySet<string>,
  width: number,
  height: number,
  r: number,
  c: number,
): boolean {
  // Is column c reachable from row r without the edge (r, c)?
  const seenRows = new Set<number>([r]);
  const seenColumns = new Set<number>();
  const queue: ['r' | 'c', number][] = [['r', r]];
  while (queue.length > 0) {
    const [kind, index] = queue.shift()!;
    if (kind === 'r') {
      for (let cc = 0; cc < width; cc++) {
        if (index === r && cc === c) continue;
        if (suppressed.has(`${index},${cc}`) && !seenColumns.has(cc)) {
          if (cc === c) return true;
          seenColumns.add(cc);
          queue.push(['c', cc]);
        }
      }
    } else {
      for (let rr = 0; rr < height; rr++) {
        if (rr === r && index === c) continue;
        if (suppressed.has(`${rr},${index}`) && !seenRows.has(rr)) {
          seenRows.add(rr);
          queue.push(['r', rr]);
        }
      }
    }
  }
  return false;
}

function firstUnprotected(suppressed: ReadonlySet<string>, width: number, height: number): Position | null {
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (suppressed.has(`${r},${c}`) && !onCycle(suppressed, width, height, r, c)) return [r, c];
    }
  }
  return null;
}

/**
 * The cheapest path from column c back to row r through allowed cells other than (r, c) itself: cells
 * already suppressed cost nothing, others their count, a national cell a penalty above any sub-national
 * path, and each new cell a little so that of equal sums the shorter path wins. Dijkstra on rows + columns.
 */
function cheapestCycle(
  table: readonly (readonly number[])[],
  suppressed: ReadonlySet<string>,
  r: number,
  c: number,
  nationalExact: boolean,
): Position[] | null {
  const height = table.length;
  const width = table[0].length;
  const national = height - 1;
  const grandColumn = width - 1;
  const penalty = (table[national][grandColumn] + 1) * (height * width + 1) * 1000;
  const allowed = (rr: number, cc: number) =>
    !(rr === r && cc === c) &&
    !(rr === national && (nationalExact || cc === grandColumn)) &&
    table[rr][cc] > 0;
  const cost = (rr: number, cc: number) =>
    suppressed.has(`${rr},${cc}`) ? 0 : table[rr][cc] * 1000 + 1 + (rr === national ? penalty : 0);
  // Nodes: rows 0..height-1, then columns height..height+width-1.
  const nodes = height + width;
  const distance = new Array<number>(nodes).fill(Infinity);
  const via = new Array<Position | null>(nodes).fill(null);
  const previous = new Array<number>(nodes).fill(-1);
  const done = new Array<boolean>(nodes).fill(false);
  distance[height + c] = 0;
  for (;;) {
    let node = -1;
    for (let n = 0; n < nodes; n++)
      if (!done[n] && distance[n] < Infinity && (node < 0 || distance[n] < distance[node])) node = n;
    if (node < 0) return null;
    if (node === r) break;
    done[node] = true;
    if (node >= height) {
      const cc = node - height;
      for (let rr = 0; rr < height; rr++) {
        if (!allowed(rr, cc)) continue;
        const d = distance[node] + cost(rr, cc);
        if (d < distance[rr]) {
          distance[rr] = d;
          via[rr] = [rr, cc];
          previous[rr] = node;
        }
      }
    } else {
      for (let cc = 0; cc < width; cc++) {
        if (!allowed(node, cc)) continue;
        const target = height + cc;
        const d = distance[node] + cost(node, cc);
        if (d < distance[target]) {
          distance[target] = d;
          via[target] = [node, cc];
          previous[target] = node;
        }
      }
    }
  }
  const path: Position[] = [];
  for (let node = r; node !== height + c; node = previous[node]) path.push(via[node]!);
  return path;
}

function roundTo(value: number, rounding: number): number {
  return rounding <= 1 ? value : Math.round(value / rounding) * rounding;
}

/** Applies primary and secondary suppression and rounding to a table of counts (rows: sites). */
export function protectTable(
  counts: readonly (readonly number[])[],
  rules: DisclosureRules = DEFAULT_DISCLOSURE_RULES,
  options: ProtectOptions = {},
): ProtectedTable {
  for (const row of counts) {
    if (row.length !== counts[0].length) throw new RangeError('every row must have the same columns');
    for (const value of row) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError('counts must be non-negative integers');
    }
  }
  const table = augment(counts);
  const height = table.length;
  const width = table[0]?.length ?? 0;
  const key = (r: number, c: number) => `${r},${c}`;
  const primary: Position[] = [];
  for (let r = 0; r < height - 1; r++) {
    for (let c = 0; c < width; c++) {
      if (table[r][c] >= 1 && table[r][c] <= rules.threshold) primary.push([r, c]);
    }
  }
  const suppressed = new Set(primary.map(([r, c]) => key(r, c)));
  // Forced cells are kept whatever the release below finds; a 0 is shown as 0 whatever it is asked.
  const forced = new Set(
    (options.forced ?? []).filter(([r, c]) => table[r]?.[c] > 0).map(([r, c]) => key(r, c)),
  );
  for (const k of forced) suppressed.add(k);
  let withheld = options.withhold === true;
  for (
    let bridge = withheld ? null : firstUnprotected(suppressed, width, height);
    bridge;
    bridge = firstUnprotected(suppressed, width, height)
  ) {
    const path = cheapestCycle(table, suppressed, bridge[0], bridge[1], options.nationalExact === true);
    if (!path) {
      withheld = true;
      break;
    }
    for (const [r, c] of path) suppressed.add(key(r, c));
  }
  const isPrimary = new Set(primary.map(([r, c]) => key(r, c)));
  let secondary: Position[] = [];
  if (!withheld) {
    // Release what is not needed, the largest counts first (then the last position: deterministic).
    const candidates = [...suppressed]
      .filter((k) => !isPrimary.has(k) && !forced.has(k))
      .map((k) => k.split(',').map(Number) as [number, number])
      .sort(([r1, c1], [r2, c2]) => table[r2][c2] - table[r1][c1] || r2 - r1 || c2 - c1);
    for (const [r, c] of candidates) {
      suppressed.delete(key(r, c));
      if (firstUnprotected(suppressed, width, height)) suppressed.add(key(r, c));
    }
    secondary = [...suppressed]
      .filter((k) => !isPrimary.has(k))
      .map((k) => k.split(',').map(Number) as [number, number])
      .sort(([r1, c1], [r2, c2]) => r1 - r2 || c1 - c2);
  }
  const shown = (r: number, c: number): Shown => {
    if (withheld) return r < height - 1 ? SUPPRESSED : table[r][c];
    if (suppressed.has(key(r, c))) return SUPPRESSED;
    return r < height - 1 ? roundTo(table[r][c], rules.rounding) : table[r][c];
  };
  return {
    cells: table.slice(0, -1).map((row, r) => row.slice(0, -1).map((_, c) => shown(r, c))),
    rowTotals: table.slice(0, -1).map((_, r) => shown(r, width - 1)),
    columnTotals: table[height - 1].slice(0, -1).map((_, c) => shown(height - 1, c)),
    total: table[height - 1][width - 1],
    withheld,
    primary,
    secondary,
  };
}
