import fc from 'fast-check';
import { augment, protectTable, SUPPRESSED, type ProtectedTable } from './suppression.js';

/**
 * The independent check: an attacker who knows every shown value exactly and that each row and column of
 * the table with its margins adds up. A suppressed cell can be recomputed exactly when its unit vector lies in
 * the row space of those relations restricted to the suppressed cells (Gaussian elimination on the ranks).
 */
function recoverable(
  height: number,
  width: number,
  suppressed: readonly (readonly [number, number])[],
): boolean[] {
  const unknowns = suppressed.length;
  // One relation per row and per column of the augmented table: cells (+1) minus the total (−1).
  const relations: number[][] = [];
  for (let r = 0; r < height; r++) {
    relations.push(suppressed.map(([rr, cc]) => (rr === r ? (cc === width - 1 ? -1 : 1) : 0)));
  }
  for (let c = 0; c < width; c++) {
    relations.push(suppressed.map(([rr, cc]) => (cc === c ? (rr === height - 1 ? -1 : 1) : 0)));
  }
  const rank = (matrix: number[][]): number => {
    const m = matrix.map((row) => [...row]);
    let rank = 0;
    for (let col = 0; col < unknowns && rank < m.length; col++) {
      let pivot = -1;
      for (let i = rank; i < m.length; i++) if (Math.abs(m[i][col]) > 1e-9) pivot = pivot < 0 ? i : pivot;
      if (pivot < 0) continue;
      [m[rank], m[pivot]] = [m[pivot], m[rank]];
      for (let i = 0; i < m.length; i++) {
        if (i === rank || Math.abs(m[i][col]) < 1e-9) continue;
        const factor = m[i][col] / m[rank][col];
        for (let j = col; j < unknowns; j++) m[i][j] -= factor * m[rank][j];
      }
      rank += 1;
    }
    return rank;
  };
  const base = rank(relations);
  return suppressed.map(
    (_, k) => rank([...relations, suppressed.map((__, j) => (j === k ? 1 : 0))]) === base,
  );
}

function suppressedOf(result: ProtectedTable): [number, number][] {
  return [...result.primary, ...result.secondary].map(([r, c]) => [r, c]);
}

/** Tables of 2–6 sites × 1–5 categories, mixing zeros, small counts and larger ones. */
const tables = fc
  .record({ rows: fc.integer({ min: 2, max: 6 }), columns: fc.integer({ min: 1, max: 5 }) })
  .chain(({ rows, columns }) =>
    fc.array(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 60 })), {
        minLength: columns,
        maxLength: columns,
      }),
      { minLength: rows, maxLength: rows },
    ),
  );

describe('protectTable: primary suppression and rounding', () => {
  it('stars 1–7, rounds the other site counts to 5, keeps 0 and the national figures exact', () => {
    // The four small counts protect one another (a cycle): nothing more is hidden.
    const result = protectTable([
      [3, 5, 40, 0],
      [4, 6, 52, 0],
      [20, 12, 33, 0],
    ]);
    expect(result).toEqual({
      cells: [
        [SUPPRESSED, SUPPRESSED, 40, 0],
        [SUPPRESSED, SUPPRESSED, 50, 0],
        [20, 10, 35, 0],
      ],
      rowTotals: [50, 60, 65],
      columnTotals: [27, 23, 125, 0],
      total: 175,
      withheld: false,
      primary: [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      secondary: [],
    });
  });

  it('closes the cycle of a small count through the smallest counts', () => {
    const result = protectTable([
      [3, 40, 50],
      [10, 60, 70],
      [12, 55, 6],
    ]);
    // Primary: the 3 and the 6. The cheapest cycle through the 3 uses the 6 (already hidden): 12 + 50 = 62,
    // against 10 + 60 + 40 = 110 through row 1, or 12 + 55 + 40 = 107 through column 1.
    expect(result.primary).toEqual([
      [0, 0],
      [2, 2],
    ]);
    expect(result.secondary).toEqual([
      [0, 2],
      [2, 0],
    ]);
    expect(result.cells).toEqual([
      [SUPPRESSED, 40, SUPPRESSED],
      [10, 60, 70],
      [SUPPRESSED, 55, SUPPRESSED],
    ]);
  });

  it('withholds the sites when a small count is itself a national figure', () => {
    const result = protectTable([
      [3, 0],
      [0, 0],
    ]);
    expect(result.withheld).toBe(true);
    expect(result.cells.flat().every((cell) => cell === SUPPRESSED)).toBe(true);
    expect(result.columnTotals).toEqual([3, 0]);
    // Even hiding every allowed cell would not help: the national total of column 0 is the 3.
    expect(
      recoverable(3, 3, [
        [0, 0],
        [0, 2],
        [2, 0],
      ]).some(Boolean),
    ).toBe(true);
  });

  it('takes another threshold and rounding (configurable)', () => {
    const result = protectTable(
      [
        [6, 6, 13],
        [7, 8, 21],
      ],
      { threshold: 5, rounding: 1 },
    );
    expect(result.primary).toEqual([]);
    expect(result.cells).toEqual([
      [6, 6, 13],
      [7, 8, 21],
    ]);
  });

  it('refuses what is not a table of counts', () => {
    expect(() => protectTable([[1, 2], [3]])).toThrow(RangeError);
    expect(() => protectTable([[1, -2]])).toThrow(RangeError);
  });
});

describe('the property check itself is not vacuous', () => {
  const counts = [
    [3, 40, 50],
    [10, 60, 70],
    [12, 55, 20],
  ];
  const [height, width] = [4, 4];

  it('finds a lone starred count recoverable from the totals', () => {
    expect(recoverable(height, width, [[0, 0]])).toEqual([true]);
  });

  it('reads the table with its margins: site totals, national totals and the grand total', () => {
    expect(augment(counts)).toEqual([
      [3, 40, 50, 93],
      [10, 60, 70, 140],
      [12, 55, 20, 87],
      [25, 155, 140, 320],
    ]);
  });

  it('finds a starred-everything table hides cells without need: releasing one leaves all protected', () => {
    const everything: [number, number][] = [];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) everything.push([r, c]);
    const released = everything.filter(([r, c]) => !(r === 1 && c === 1));
    expect(recoverable(height, width, everything).some(Boolean)).toBe(false);
    expect(recoverable(height, width, released).some(Boolean)).toBe(false);
  });
});

describe('protectTable: properties over random tables (fast-check)', () => {
  it('draws tables most of which can be protected, so the properties below are tried on real patterns', () => {
    const sample = fc.sample(tables, { numRuns: 300, seed: 42 }).map((counts) => protectTable(counts));
    expect(sample.filter((result) => result.withheld).length).toBeLessThan(60);
    expect(sample.filter((result) => result.secondary.length > 0).length).toBeGreaterThan(100);
  });

  it('every primary count is starred, no 0 and never the grand total', () => {
    fc.assert(
      fc.property(tables, (counts) => {
        const result = protectTable(counts);
        const table = augment(counts);
        for (const row of counts.keys()) {
          for (const column of table[0].keys()) {
            const value = table[row][column];
            if (value >= 1 && value <= 7) expect(result.primary).toContainEqual([row, column]);
          }
        }
        const shownAt = (r: number, c: number): unknown => {
          if (r === table.length - 1) return result.columnTotals[c];
          return c === table[0].length - 1 ? result.rowTotals[r] : result.cells[r][c];
        };
        for (const [r, c] of suppressedOf(result)) {
          expect(table[r][c]).toBeGreaterThan(0);
          expect([r, c]).not.toEqual([table.length - 1, table[0].length - 1]);
          // What is published at that place is the star, not a rounded count.
          expect(shownAt(r, c)).toBe(SUPPRESSED);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no suppressed count can be recomputed from what is shown', () => {
    fc.assert(
      fc.property(tables, (counts) => {
        const result = protectTable(counts);
        fc.pre(!result.withheld);
        const table = augment(counts);
        const suppressed = suppressedOf(result);
        expect(recoverable(table.length, table[0].length, suppressed).some(Boolean)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('no count is hidden without need: releasing any complementary cell exposes one', () => {
    fc.assert(
      fc.property(tables, (counts) => {
        const result = protectTable(counts);
        fc.pre(!result.withheld);
        const table = augment(counts);
        const suppressed = suppressedOf(result);
        for (const [r, c] of result.secondary) {
          const released = suppressed.filter(([rr, cc]) => !(rr === r && cc === c));
          expect(recoverable(table.length, table[0].length, released).some(Boolean)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('withholds a table only when hiding every allowed cell would still expose a small count', () => {
    fc.assert(
      fc.property(tables, (counts) => {
        const result = protectTable(counts);
        fc.pre(result.withheld);
        const table = augment(counts);
        const all: [number, number][] = [];
        table.forEach((row, r) =>
          row.forEach((value, c) => {
            if (value > 0 && !(r === table.length - 1 && c === row.length - 1)) all.push([r, c]);
          }),
        );
        const exposed = recoverable(table.length, table[0].length, all);
        const primaryExposed = all.some(
          ([r, c], k) => exposed[k] && result.primary.some(([pr, pc]) => pr === r && pc === c),
        );
        expect(primaryExposed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('shows every other site count rounded to 5 and the national figures exact', () => {
    fc.assert(
      fc.property(tables, (counts) => {
        const result = protectTable(counts);
        const table = augment(counts);
        const width = table[0].length;
        result.cells.forEach((row, r) =>
          [...row, result.rowTotals[r]].forEach((cell, c) => {
            if (cell !== SUPPRESSED) {
              expect(cell % 5).toBe(0);
              expect(Math.abs(cell - table[r][c])).toBeLessThanOrEqual(2);
              // A small count is never published, not even rounded.
              expect({ r, c, small: table[r][c] >= 1 && table[r][c] <= 7 }).toEqual({ r, c, small: false });
            }
          }),
        );
        result.columnTotals.forEach((cell, c) => {
          if (cell !== SUPPRESSED) expect(cell).toBe(table[table.length - 1][c]);
        });
        expect(result.total).toBe(table[table.length - 1][width - 1]);
      }),
      { numRuns: 300 },
    );
  });
});
