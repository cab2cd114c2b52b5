/**
 * Which recorded values the registry expects, and how a missing one is accounted for (domain guide §3: "a
 * value that is missing must say why", kept apart from the value). A field listed here may be left empty
 * only with a reason code; the summary's completeness list shows every one that is empty without a reason.
 */

/** The registry's own kinds of record (another module's records declare their expected fields themselves). */
export type RecordKind = 'patient' | 'operation' | 'ecmoRun' | 'complication' | 'outcome';

/** The fields a record should have, given its values: for a kind of record another module keeps. */
export type ExpectedFields = (values: Readonly<Record<string, unknown>>) => readonly string[];

/** Fields a record should have, which may instead carry a missing reason. */
export const EXPECTED_FIELDS: Readonly<Record<RecordKind, readonly string[]>> = {
  patient: ['mdtDecision'],
  operation: ['urgency', 'redo', 'bypassMinutes', 'crossClampMinutes', 'euroscoreIi'],
  ecmoRun: [
    'cannulation',
    'drainageSite',
    'returnSite',
    'distalPerfusion',
    'lvUnloading',
    'preCardiacArrest',
    'preLactate',
    'preVis',
    'prePh',
  ],
  complication: ['grade', 'serious', 'relation', 'outcome'],
  outcome: ['destination', 'causeOfDeath'],
};

/** Fields expected only in some records of a kind (a destination for a discharge, a cause for a death). */
function expectedOf(
  kind: RecordKind | ExpectedFields,
  values: Readonly<Record<string, unknown>>,
): readonly string[] {
  if (typeof kind === 'function') return kind(values);
  if (kind === 'outcome') return values.kind === 'death' ? ['causeOfDeath'] : ['destination'];
  return EXPECTED_FIELDS[kind];
}

export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
}

/**
 * Why a record's missing reasons are not acceptable: a reason for a field that is not expected, or for one
 * that has a value (a value and a reason never stand together). Reason codes are checked against the value
 * set by the caller.
 */
export function missingReasonProblems(
  kind: RecordKind | ExpectedFields,
  values: Readonly<Record<string, unknown>>,
  missing: Readonly<Record<string, string>>,
): FieldProblem[] {
  const expected = expectedOf(kind, values);
  return Object.keys(missing).flatMap((field) => {
    if (!expected.includes(field)) {
      return [
        {
          field: `missing.${field}`,
          reason: `is not a field that may be missing here (${expected.join(', ')})`,
        },
      ];
    }
    const value = values[field];
    if (value !== null && value !== undefined) {
      return [{ field: `missing.${field}`, reason: 'the field has a value: remove the value or the reason' }];
    }
    return [];
  });
}

/** The expected fields of a record that are empty without a missing reason. */
export function incompleteFields(
  kind: RecordKind,
  values: Readonly<Record<string, unknown>>,
  missing: Readonly<Record<string, string>>,
): string[] {
  return expectedOf(kind, values).filter(
    (field) => (values[field] === null || values[field] === undefined) && !(field in missing),
  );
}

/**
 * The missing reasons after a correction: a reason is dropped when its field gets a value (the value
 * replaces the reason) or when the correction names it with null (the reason no longer applies, e.g. a
 * destination's after a discharge was corrected to a death), and the correction's own reasons are added.
 */
export function mergeMissing(
  current: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, unknown>>,
  added: Readonly<Record<string, string | null>> | undefined,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [field, reason] of Object.entries(current)) {
    const changed = changes[field];
    if (changed === undefined || changed === null) merged[field] = reason;
  }
  for (const [field, reason] of Object.entries(added ?? {})) {
    if (reason === null) delete merged[field];
    else merged[field] = reason;
  }
  return merged;
}
