/**
 * The columns of the patient-level files, described once: the SELECT that COPY runs is built from these, and
 * so is the data dictionary, so a column cannot reach a file without its meaning, type, unit and allowed
 * values being written down.
 *
 * What a column may hold is limited by its kind: the patient's internal id (replaced by the pseudonym on its
 * way to the file), dates and instants (shifted per patient in the external profile), numbers, booleans and
 * codes of a value set. There is no kind for free text, so no note, description or name can be exported.
 */
export type ColumnKind =
  | 'pseudonym'
  | 'date'
  | 'instant'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'code'
  | 'code_list'
  | 'missing_reason';

export interface ExportColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  /** The SQL expression (before formatting for its kind). */
  readonly sql: string;
  readonly meaning: string;
  readonly unit?: string;
  /** The value set the codes come from (its current version is named in the dictionary and the manifest). */
  readonly valueSet?: string;
  /** Allowed values of a code column that has no value set (fixed by the schema). */
  readonly values?: readonly string[];
}

/** Dates as `YYYY-MM-DD`; instants in UTC as `YYYY-MM-DDTHH:MM:SSZ`, whatever the session's settings. */
export function selectExpression(column: ExportColumn): string {
  switch (column.kind) {
    case 'date':
      return `to_char(${column.sql}, 'YYYY-MM-DD')`;
    case 'instant':
      return `to_char((${column.sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
    case 'boolean':
      return `CASE WHEN ${column.sql} THEN 'true' WHEN NOT ${column.sql} THEN 'false' END`;
    case 'pseudonym':
    case 'integer':
    case 'decimal':
    case 'code':
    case 'code_list':
    case 'missing_reason':
      return `(${column.sql})::text`;
  }
}

export const BOOLEAN_VALUES = ['true', 'false'] as const;

/** A column of the reason a value is missing, kept apart from the value (domain guide §3). */
export function missingOf(column: string, field: string, alias: string): ExportColumn {
  return {
    name: `${column}_missing`,
    kind: 'missing_reason',
    sql: `${alias}.missing ->> '${field}'`,
    meaning: `Why ${column} is empty, when it is.`,
    valueSet: 'missing_reason',
  };
}

/** The first column of every file: the patient's id in SQL, their pseudonym in the file. */
export function pseudonymColumn(patientId: string): ExportColumn {
  return {
    name: 'pseudonym',
    kind: 'pseudonym',
    sql: patientId,
    meaning:
      'The patient: HMAC-SHA-256 of the registry’s internal id under a key held outside the database. The same in every file and in every export made with the key; it cannot be turned back into the patient.',
  };
}
