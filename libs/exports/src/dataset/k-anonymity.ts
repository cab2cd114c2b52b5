/**
 * k-anonymity of the external-audit files (issue 25). A patient's quasi-identifiers, read from their record
 * joined across every file by pseudonym, are what an outsider may know of them:
 *
 * - where they were treated and enrolled: the site (as a stable pseudonymous code), its NHS England region,
 *   or nothing;
 * - their age at the start of ECMO; their sex;
 * - how long they were on ECMO (each run's hours, and its end less its start as the dates show it) and how
 *   long from the start of ECMO to leaving hospital (the hospital outcome less the first run's start).
 *
 * Each has a hierarchy of levels, from exact to nothing. The export takes the least generalisation (the
 * smallest weighted sum of levels: sex and age weigh most; ties in a fixed order) under which every combination is shared by at least k
 * patients, or refuses. Category columns (codes, code lists, missing reasons) are handled apart: a value that
 * fewer than k patients hold is recoded to `other`, and more values join it until `other` pools k patients
 * (or the whole column, when fewer than k patients hold any value of it).
 *
 * Absolute dates are not in the combination: they are already moved by each patient's own shift.
 */

/** Levels, from exact (0) to most general. */
export const HIERARCHY = {
  place: ['site, as a pseudonymous code', 'NHS England region', 'not released (ALL)'],
  age: ['years', '10-year bands', 'bands 18-49, 50-69, 70+', 'adult (18+)'],
  sex: ['as recorded', 'not released'],
  duration: [
    'hours',
    'bands <24, 24-71, 72-167, 168-335, 336+ h',
    'bands <72, 72-167, 168+ h',
    'not released',
  ],
  dates: ['exact (instants to the second)', 'day', 'month', 'year'],
} as const;

export type Dimension = keyof typeof HIERARCHY;
export type Generalisation = Readonly<Record<Dimension, number>>;

const DIMENSIONS = Object.keys(HIERARCHY) as Dimension[];

export const NOT_RELEASED = 'not_released';
export const OTHER = 'other';
export const ALL_PLACES = 'ALL';

/** A site as the files may show it. */
export interface Place {
  /** Stable pseudonymous code (level 0). */
  readonly code: string;
  /** NHS England region, or `region_not_recorded` (level 1). */
  readonly region: string;
}

export function placeAt(place: Place | undefined, level: number): string {
  if (!place || level >= 2) return ALL_PLACES;
  return level === 1 ? place.region : place.code;
}

export function ageAt(value: string, level: number): string {
  if (value === '' || level === 0) return value;
  const age = Number(value);
  if (level === 1) {
    if (age >= 80) return '80+';
    if (age < 30) return '18-29';
    const low = Math.floor(age / 10) * 10;
    return `${low}-${low + 9}`;
  }
  if (level === 2) return age < 50 ? '18-49' : age < 70 ? '50-69' : '70+';
  return '18+';
}

export function hoursAt(value: string, level: number): string {
  if (value === '' || level === 0) return value;
  if (level >= 3) return NOT_RELEASED;
  const hours = Number(value);
  const bands: [number, string][] =
    level === 1
      ? [
          [24, '<24'],
          [72, '24-71'],
          [168, '72-167'],
          [336, '168-335'],
          [Infinity, '336+'],
        ]
      : [
          [72, '<72'],
          [168, '72-167'],
          [Infinity, '168+'],
        ];
  return bands.find(([below]) => hours < below)![1];
}

/** A date (YYYY-MM-DD) or instant (YYYY-MM-DDTHH:MM:SSZ) at the level's precision. */
export function dateAt(value: string, level: number): string {
  if (value === '' || level === 0) return value;
  return value.slice(0, level === 1 ? 10 : level === 2 ? 7 : 4);
}

/**
 * b − a for two values at the same precision, in its unit (seconds, days, months or years): what a reader
 * of the files can compute. Empty when either is empty.
 */
export function difference(a: string, b: string): string {
  if (a === '' || b === '') return '';
  const units = (v: string): number => {
    if (v.length === 4) return Number(v);
    if (v.length === 7) return Number(v.slice(0, 4)) * 12 + Number(v.slice(5, 7));
    if (v.length === 10) return Date.parse(`${v}T00:00:00Z`) / 86_400_000;
    return Date.parse(v) / 1000;
  };
  return String(Math.round(units(b) - units(a)));
}

/** A patient's quasi-identifiers as the files hold them before generalisation (dates already shifted). */
export interface QuasiRecord {
  site: string;
  enrolmentSite: string;
  age: string;
  sex: string;
  runs: { started: string; ended: string; hours: string }[];
  outcomeAt: string;
}

export function emptyRecord(): QuasiRecord {
  return { site: '', enrolmentSite: '', age: '', sex: '', runs: [], outcomeAt: '' };
}

/** The combination a reader computes from the generalised files, as one key. */
export function combination(
  record: QuasiRecord,
  g: Generalisation,
  places: ReadonlyMap<string, Place>,
): string {
  const runs = record.runs.map((r) => [
    hoursAt(r.hours, g.duration),
    difference(dateAt(r.started, g.dates), dateAt(r.ended, g.dates)),
  ]);
  const firstStart = record.runs.map((r) => r.started).sort()[0] ?? '';
  return JSON.stringify([
    placeAt(places.get(record.site), g.place),
    placeAt(places.get(record.enrolmentSite), g.place),
    ageAt(record.age, g.age),
    g.sex >= 1 ? NOT_RELEASED : record.sex,
    runs,
    difference(dateAt(firstStart, g.dates), dateAt(record.outcomeAt, g.dates)),
  ]);
}

/** The size of the smallest group of patients sharing a combination. */
export function smallestGroup(
  records: Iterable<QuasiRecord>,
  g: Generalisation,
  places: ReadonlyMap<string, Place>,
  /** Patients (by position) whose age is shown at its most general level whatever g says. */
  local: ReadonlySet<number> = new Set(),
): number {
  const sizes = new Map<string, number>();
  let i = 0;
  for (const record of records) {
    const key = combination(record, local.has(i++) ? { ...g, age: AGE_TOP } : g, places);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return sizes.size === 0 ? Infinity : Math.min(...sizes.values());
}

const AGE_TOP = HIERARCHY.age.length - 1;

/**
 * At most this share of the patients may have their age alone generalised to 18+ (local recoding), so that
 * rare combinations do not cost every patient their age. On the 2,000-patient synthetic cohort 2% and 5% were
 * not enough (everyone at 18+); at 10%, 120 of 1,867 patients (6.4%) show 18+ and the rest their age in years.
 */
export const LOCAL_AGE_SHARE = 0.1;

/**
 * What a level of each quasi-identifier costs an audit: sex and age adjust for risk and are given up last,
 * then the place; durations and date precision first.
 */
const WEIGHT: Readonly<Record<Dimension, number>> = { sex: 4, age: 3, place: 2, duration: 1, dates: 1 };

/**
 * The least generalisation under which every combination is shared by at least k patients (the smallest
 * weighted sum of levels; of equal sums, the one generalising dates, then duration, place, age and sex
 * last), with its smallest group; null when even the most general one leaves a group smaller than k.
 */
export function chooseGeneralisation(
  records: readonly QuasiRecord[],
  k: number,
  places: ReadonlyMap<string, Place>,
): { generalisation: Generalisation; smallest: number; localAge: ReadonlySet<number> } | null {
  const nodes: Generalisation[] = [];
  const walk = (i: number, partial: Partial<Record<Dimension, number>>) => {
    if (i === DIMENSIONS.length) {
      nodes.push(partial as Generalisation);
      return;
    }
    for (let level = 0; level < HIERARCHY[DIMENSIONS[i]].length; level++)
      walk(i + 1, { ...partial, [DIMENSIONS[i]]: level });
  };
  walk(0, {});
  const preference: Dimension[] = ['sex', 'age', 'place', 'duration', 'dates'];
  const sum = (g: Generalisation) => DIMENSIONS.reduce((n, d) => n + WEIGHT[d] * g[d], 0);
  nodes.sort((a, b) => {
    if (sum(a) !== sum(b)) return sum(a) - sum(b);
    for (const d of preference) if (a[d] !== b[d]) return a[d] - b[d];
    return 0;
  });
  const budget = Math.floor(records.length * LOCAL_AGE_SHARE);
  for (const g of nodes) {
    const groups = new Map<string, number[]>();
    records.forEach((record, i) => {
      const key = combination(record, g, places);
      const members = groups.get(key);
      if (members) members.push(i);
      else groups.set(key, [i]);
    });
    const outliers = [...groups.values()].filter((members) => members.length < k).flat();
    if (outliers.length === 0) {
      const smallest = Math.min(...[...groups.values()].map((members) => members.length));
      return { generalisation: g, smallest, localAge: new Set() };
    }
    // The few patients of groups smaller than k shown at 18+ instead: taken if that puts everyone with k.
    if (g.age === AGE_TOP || outliers.length > budget) continue;
    const localAge = new Set(outliers);
    const smallest = smallestGroup(records, g, places, localAge);
    if (smallest >= k) return { generalisation: g, smallest, localAge };
  }
  return null;
}

/**
 * The values of a category column recoded to `other`: those held by fewer than k patients, then the rarest
 * others until `other` pools at least k patients (or the whole column, when fewer than k hold any value).
 * `holders`: for each value, the patients (pseudonyms) holding it.
 */
export function rareValues(holders: ReadonlyMap<string, ReadonlySet<string>>, k: number): Set<string> {
  const sorted = [...holders].sort(([v1, a], [v2, b]) => a.size - b.size || (v1 < v2 ? -1 : 1));
  const rare = new Set<string>();
  const pool = new Set<string>(holders.get(OTHER) ?? []);
  for (const [value, patients] of sorted) {
    if (patients.size >= k && (pool.size === 0 || pool.size >= k)) break;
    if (value === OTHER) continue;
    rare.add(value);
    for (const p of patients) pool.add(p);
  }
  return rare;
}
