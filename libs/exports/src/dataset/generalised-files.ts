import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ExportTable } from './tables.js';
import {
  ageAt,
  chooseGeneralisation,
  dateAt,
  emptyRecord,
  HIERARCHY,
  hoursAt,
  NOT_RELEASED,
  OTHER,
  placeAt,
  rareValues,
  type Generalisation,
  type Place,
  type QuasiRecord,
} from './k-anonymity.js';

/** Columns that are quasi-identifiers, generalised by level (not as categories). */
const QUASI_IDENTIFIERS = new Set([
  'patients.csv/site',
  'patients.csv/enrolment_site',
  'patients.csv/sex',
  'patients.csv/age_at_ecmo_start',
  'ecmo_runs.csv/duration_hours',
]);

const CATEGORY_KINDS = new Set(['code', 'code_list', 'missing_reason']);

/**
 * What the external-audit files would hold before generalisation (after pseudonyms and date shifts), read
 * once through the same pseudonymising stream: each patient's quasi-identifiers, and who holds each value of
 * every category column. Memory grows with the patients, not with the rows.
 */
export class DatasetStats {
  readonly records = new Map<string, QuasiRecord>();
  /** `file/column` → value → pseudonyms holding it. */
  readonly categories = new Map<string, Map<string, Set<string>>>();

  /** A sink for one file's lines (header first), as the pseudonymising stream emits them. */
  collector(table: ExportTable): Writable {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let header = true;
    const take = (line: string) => {
      if (header) {
        header = false;
        return;
      }
      this.add(table, line.split(','));
    };
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        pending += decoder.write(chunk);
        const lines = pending.split('\n');
        pending = lines.pop()!;
        lines.forEach(take);
        done();
      },
      final: (done) => {
        pending += decoder.end();
        if (pending !== '') take(pending);
        done();
      },
    });
  }

  private add(table: ExportTable, fields: string[]): void {
    const pseudonym = fields[0];
    const record = this.records.get(pseudonym) ?? emptyRecord();
    this.records.set(pseudonym, record);
    const value = (name: string) => fields[table.columns.findIndex((c) => c.name === name)] ?? '';
    if (table.file === 'patients.csv') {
      record.site = value('site');
      record.enrolmentSite = value('enrolment_site');
      record.age = value('age_at_ecmo_start');
      record.sex = value('sex');
    } else if (table.file === 'ecmo_runs.csv') {
      record.runs.push({
        started: value('started_at'),
        ended: value('ended_at'),
        hours: value('duration_hours'),
      });
    } else if (table.file === 'hospital_outcomes.csv') {
      record.outcomeAt = value('occurred_at');
    }
    table.columns.forEach((column, i) => {
      const key = `${table.file}/${column.name}`;
      if (!CATEGORY_KINDS.has(column.kind) || QUASI_IDENTIFIERS.has(key) || fields[i] === '') return;
      const values = this.categories.get(key) ?? new Map<string, Set<string>>();
      this.categories.set(key, values);
      for (const v of column.kind === 'code_list' ? fields[i].split('|') : [fields[i]]) {
        const holders = values.get(v) ?? new Set<string>();
        holders.add(pseudonym);
        values.set(v, holders);
      }
    });
  }
}

/** How an external-audit export was made k-anonymous: for the manifest and the dictionary. */
export interface KAnonymity {
  readonly k: number;
  readonly generalisation: Generalisation;
  /** The smallest group of patients sharing a combination of quasi-identifiers. */
  readonly smallestGroup: number;
  /** Patients (pseudonyms) whose age alone is shown as 18+, their combination being rare (local recoding). */
  readonly ageAt18Plus: ReadonlySet<string>;
  readonly patients: number;
  /** `file/column` → how many of its values are recoded to `other` (which ones is not said: they are rare). */
  readonly recodedToOther: Readonly<Record<string, number>>;
  /** The values themselves, for the recoding (never written out). */
  readonly rare: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Refused: no generalisation reaches k (too few patients). Not retried. */
export class ExportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefused';
  }
}

/** Chooses the generalisation and the values recoded to `other`; refuses when k cannot be reached. */
export function planKAnonymity(
  stats: DatasetStats,
  k: number,
  places: ReadonlyMap<string, Place>,
): KAnonymity {
  const pseudonyms = [...stats.records.keys()];
  const records = [...stats.records.values()];
  const chosen = chooseGeneralisation(records, k, places);
  if (!chosen) {
    throw new ExportRefused(
      `refused: ${records.length} patients cannot be made ${k}-anonymous (EXPORT_K_ANONYMITY) even with every quasi-identifier generalised to its most general level`,
    );
  }
  const rare = new Map<string, Set<string>>();
  for (const [key, holders] of [...stats.categories].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const values = rareValues(holders, k);
    if (values.size > 0) rare.set(key, values);
  }
  return {
    k,
    generalisation: chosen.generalisation,
    smallestGroup: chosen.smallest,
    ageAt18Plus: new Set([...chosen.localAge].map((i) => pseudonyms[i])),
    patients: records.length,
    recodedToOther: Object.fromEntries([...rare].map(([key, values]) => [key, values.size])),
    rare,
  };
}

/** Per column of a file, how its values are generalised (null: unchanged). */
export function recodersFor(
  table: ExportTable,
  plan: KAnonymity,
  places: ReadonlyMap<string, Place>,
): (((value: string, pseudonym: string) => string) | null)[] {
  const g = plan.generalisation;
  return table.columns.map((column) => {
    const key = `${table.file}/${column.name}`;
    if (key === 'patients.csv/site' || key === 'patients.csv/enrolment_site')
      return (v) => placeAt(places.get(v), g.place);
    if (key === 'patients.csv/age_at_ecmo_start') {
      const top = HIERARCHY.age.length - 1;
      return (v, pseudonym) => ageAt(v, plan.ageAt18Plus.has(pseudonym) ? top : g.age);
    }
    if (key === 'patients.csv/sex') return g.sex === 0 ? null : () => NOT_RELEASED;
    if (key === 'ecmo_runs.csv/duration_hours')
      return g.duration === 0 ? null : (v) => hoursAt(v, g.duration);
    if (column.kind === 'date' || column.kind === 'instant')
      return g.dates === 0 ? null : (v) => dateAt(v, g.dates);
    const rare = plan.rare.get(key);
    if (!rare) return null;
    if (column.kind === 'code_list')
      return (v) => [...new Set(v.split('|').map((x) => (rare.has(x) ? OTHER : x)))].join('|');
    return (v) => (rare.has(v) ? OTHER : v);
  });
}

/** What the dictionary says of a generalised column: a note after its meaning, a value it adds, its type. */
export function generalisationNote(
  table: ExportTable,
  column: string,
  plan: KAnonymity,
): { text: string; adds?: string; type?: string } | undefined {
  const g = plan.generalisation;
  const key = `${table.file}/${column}`;
  const said = (what: string, type?: string) => ({
    text: `Generalised for ${plan.k}-anonymity: ${what}.`,
    type,
  });
  if (key === 'patients.csv/site' || key === 'patients.csv/enrolment_site')
    return said(HIERARCHY.place[g.place], 'code');
  if (key === 'patients.csv/age_at_ecmo_start' && (g.age > 0 || plan.ageAt18Plus.size > 0)) {
    const rare =
      plan.ageAt18Plus.size > 0
        ? `; 18+ for ${plan.ageAt18Plus.size} patients whose combination was rare`
        : '';
    return said(`${HIERARCHY.age[g.age]}${rare}`, g.age === 0 ? 'integer, or 18+' : 'code (age band)');
  }
  if (key === 'patients.csv/sex' && g.sex > 0) return { ...said('not released'), adds: NOT_RELEASED };
  if (key === 'ecmo_runs.csv/duration_hours' && g.duration > 0)
    return said(
      HIERARCHY.duration[g.duration],
      g.duration === 3 ? 'code (not_released)' : 'code (band of hours)',
    );
  const kind = table.columns.find((c) => c.name === column)?.kind;
  if ((kind === 'date' || kind === 'instant') && g.dates > 0)
    return said(`to the ${HIERARCHY.dates[g.dates]}`, DATE_TYPE[g.dates]);
  if (plan.rare.has(key))
    return {
      text: `Values held by fewer than ${plan.k} patients are shown as other, with the next rarest until other holds ${plan.k}.`,
      adds: OTHER,
    };
  return undefined;
}

const DATE_TYPE = ['', 'date (YYYY-MM-DD)', 'month (YYYY-MM)', 'year (YYYY)'];
