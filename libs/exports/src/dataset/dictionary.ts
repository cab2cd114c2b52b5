import { BOOLEAN_VALUES, type ColumnKind } from './columns.js';
import type { ExportTable } from './tables.js';

/** The current version of a value set and its codes, in their order. */
export interface ValueSetVersion {
  readonly version: number;
  readonly codes: readonly string[];
}

const TYPE: Readonly<Record<ColumnKind, string>> = {
  pseudonym: 'pseudonym (64 hex characters)',
  date: 'date (YYYY-MM-DD)',
  instant: 'instant (UTC, YYYY-MM-DDTHH:MM:SSZ)',
  integer: 'integer',
  decimal: 'decimal',
  boolean: 'boolean',
  code: 'code',
  code_list: 'codes separated by |',
  missing_reason: 'code',
};

export const DICTIONARY_HEADER = [
  'file',
  'column',
  'type',
  'unit',
  'meaning',
  'value_set',
  'value_set_version',
  'allowed_values',
] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/**
 * The data dictionary: every column of every patient-level file, with its meaning, type, unit and allowed
 * values (a value set's codes at the version named beside them). Built from the same column list as the
 * files, so the two cannot disagree. Dates and instants are described for the profile: exact, or shifted.
 */
export function dataDictionary(
  tables: readonly ExportTable[],
  valueSets: ReadonlyMap<string, ValueSetVersion>,
  shifted: boolean,
  /** What the external audit's generalisation did to a column, said after its meaning. */
  note?: (
    table: ExportTable,
    column: string,
  ) => { readonly text: string; readonly adds?: string; readonly type?: string } | undefined,
): string {
  let text = csvLine(DICTIONARY_HEADER);
  for (const table of tables) {
    for (const column of table.columns) {
      const set = column.valueSet === undefined ? undefined : valueSets.get(column.valueSet);
      if (column.valueSet !== undefined && !set) throw new Error(`value set ${column.valueSet} not found`);
      const values = set?.codes ?? column.values ?? (column.kind === 'boolean' ? BOOLEAN_VALUES : undefined);
      const dated = column.kind === 'date' || column.kind === 'instant';
      const shiftedMeaning =
        dated && shifted
          ? `${column.meaning} Shifted by the patient's own whole number of days (the same in every file).`
          : column.meaning;
      const generalised = note?.(table, column.name);
      const meaning = generalised ? `${shiftedMeaning} ${generalised.text}` : shiftedMeaning;
      const allowed =
        generalised?.adds && values && !values.includes(generalised.adds)
          ? [...values, generalised.adds]
          : values;
      text += csvLine([
        table.file,
        column.name,
        generalised?.type ?? TYPE[column.kind],
        column.unit,
        meaning,
        column.valueSet,
        set?.version,
        allowed?.join('|'),
      ]);
    }
  }
  return text;
}
