import chisquareQuantile from '@stdlib/stats-base-dists-chisquare-quantile';

export interface Rate {
  readonly events: number;
  readonly exposure: number;
  /** Events per `per` units of exposure; null without exposure. */
  readonly rate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly per: number;
}

/**
 * An event rate with the exact (Garwood 1936) Poisson interval, from chi-square quantiles:
 * [χ²(α/2, 2k) / 2, χ²(1 − α/2, 2k + 2) / 2] ÷ exposure, the lower bound 0 when there is no event.
 * Events per 1,000 ECMO days: `poissonRate(events, ecmoDays, 1000)`.
 */
export function poissonRate(events: number, exposure: number, per = 1, alpha = 0.05): Rate {
  if (!Number.isInteger(events) || events < 0) throw new RangeError(`events must be a non-negative integer`);
  if (!(exposure >= 0) || !Number.isFinite(exposure))
    throw new RangeError(`exposure must be a finite number ≥ 0`);
  if (exposure === 0) return { events, exposure, rate: null, lower: null, upper: null, per };
  const lower = events === 0 ? 0 : chisquareQuantile(alpha / 2, 2 * events) / 2;
  const upper = chisquareQuantile(1 - alpha / 2, 2 * events + 2) / 2;
  const scale = per / exposure;
  return { events, exposure, rate: events * scale, lower: lower * scale, upper: upper * scale, per };
}
