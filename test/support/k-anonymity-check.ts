/**
 * The k-anonymity checker of issue 25, written apart from the generator (it reads only the delivered files):
 * each patient's quasi-identifiers from their record joined across the files by pseudonym, the groups of
 * patients sharing them, and who holds each value of every category column the dictionary names.
 */

type Rows = Record<string, string>[];

function parse(text: string): Rows {
  const [header, ...lines] = text.trimEnd().split('\n');
  const names = header.split(',');
  return lines
    .filter((line) => line !== '')
    .map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i], value])));
}

/** A date or instant of the files as a number in its own precision: years, months, days or seconds. */
function asNumber(value: string): number {
  if (/^\d{4}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}$/.test(value)) return Number(value.slice(0, 4)) * 12 + Number(value.slice(5));
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return Math.round(Date.parse(`${value}T00:00:00Z`) / 86_400_000);
  return Math.round(Date.parse(value) / 1000);
}

const between = (from: string | undefined, to: string | undefined) =>
  from && to ? String(asNumber(to) - asNumber(from)) : '';

export interface CheckResult {
  readonly patients: number;
  /** Groups of patients sharing a combination, smallest first. */
  readonly smallestGroup: number;
  /** Category values (file/column=value) held by fewer than k patients and not allowed by the rule. */
  readonly rareValues: string[];
}

export function checkKAnonymity(files: ReadonlyMap<string, string>, k: number): CheckResult {
  const patients = parse(files.get('patients.csv')!);
  const runs = parse(files.get('ecmo_runs.csv')!);
  const outcomes = parse(files.get('hospital_outcomes.csv')!);
  const runsOf = new Map<string, Rows>();
  for (const run of runs) runsOf.set(run.pseudonym, [...(runsOf.get(run.pseudonym) ?? []), run]);
  const outcomeOf = new Map(outcomes.map((o) => [o.pseudonym, o.occurred_at]));

  const groups = new Map<string, number>();
  for (const p of patients) {
    const own = runsOf.get(p.pseudonym) ?? [];
    const firstStart = own.map((r) => r.started_at).sort()[0];
    const key = JSON.stringify([
      p.site,
      p.enrolment_site,
      p.age_at_ecmo_start,
      p.sex,
      own.map((r) => [r.duration_hours, between(r.started_at, r.ended_at)]),
      between(firstStart, outcomeOf.get(p.pseudonym)),
    ]);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }

  // Category columns, as the dictionary types them; the places and sex are in the combination above.
  const dictionary = parse(files.get('data_dictionary.csv')!.replace(/"[^"]*"/g, 'quoted'));
  const categories = dictionary.filter(
    (d) =>
      (d.type === 'code' || d.type === 'codes separated by |') &&
      !(d.file === 'patients.csv' && ['site', 'enrolment_site', 'sex'].includes(d.column)),
  );
  const rare: string[] = [];
  for (const { file, column } of categories) {
    const holders = new Map<string, Set<string>>();
    for (const row of parse(files.get(file)!)) {
      if (!row[column]) continue;
      for (const value of row[column].split('|')) {
        holders.set(value, (holders.get(value) ?? new Set()).add(row.pseudonym));
      }
    }
    const anyValue = new Set([...holders.values()].flatMap((s) => [...s]));
    for (const [value, who] of holders) {
      // `other` pools the rare values: it may be smaller than k only when the whole column is.
      const allowed = value === 'other' ? who.size >= k || anyValue.size < k : who.size >= k;
      if (!allowed) rare.push(`${file}/${column}=${value} (${who.size})`);
    }
  }
  return {
    patients: patients.length,
    smallestGroup: groups.size === 0 ? Infinity : Math.min(...groups.values()),
    rareValues: rare,
  };
}
