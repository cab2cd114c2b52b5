/** The standard normal quantile for a two-sided 95% interval, qnorm(0.975). */
export const Z_95 = 1.959963984540054;

export interface Proportion {
  readonly numerator: number;
  readonly denominator: number;
  /** numerator ÷ denominator; null when the denominator is 0. */
  readonly estimate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

function assertCounts(numerator: number, denominator: number): void {
  if (!Number.isInteger(numerator) || !Number.isInteger(denominator) || numerator < 0 || denominator < 0) {
    throw new RangeError(`counts must be non-negative integers (got ${numerator}/${denominator})`);
  }
  if (numerator > denominator)
    throw new RangeError(`numerator ${numerator} exceeds denominator ${denominator}`);
}

/**
 * A proportion with its Wilson score interval (Wilson 1927; Newcombe 1998, method 3), which stays inside
 * [0, 1] and behaves at 0 and n, unlike the Wald interval. No estimate without a denominator.
 */
export function wilson(numerator: number, denominator: number, z = Z_95): Proportion {
  assertCounts(numerator, denominator);
  if (denominator === 0) return { numerator, denominator, estimate: null, lower: null, upper: null };
  const n = denominator;
  const p = numerator / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    numerator,
    denominator,
    estimate: p,
    // At 0 and n the bound is exactly 0 or 1; the formula gives it up to rounding.
    lower: numerator === 0 ? 0 : Math.max(0, centre - half),
    upper: numerator === n ? 1 : Math.min(1, centre + half),
  };
}
