import {
  EXPECTED_FIELDS,
  type FieldProblem,
  incompleteFields,
  mergeMissing,
  missingReasonProblems,
  type RecordKind,
} from './completeness.js';

type Values = Record<string, unknown>;
type Reasons = Record<string, string>;

/** An operation with every expected field recorded. */
const FULL_OPERATION: Values = {
  operationDate: '2026-07-01',
  urgency: 'urgent',
  redo: false,
  bypassMinutes: 184,
  crossClampMinutes: 97,
  euroscoreIi: 12.4,
};

describe('missingReasonProblems', () => {
  it.each<[string, RecordKind, Values, Reasons, FieldProblem[]]>([
    ['no reasons', 'operation', FULL_OPERATION, {}, []],
    [
      'bypass time not recorded, with a reason',
      'operation',
      { ...FULL_OPERATION, bypassMinutes: null },
      { bypassMinutes: 'not_recorded' },
      [],
    ],
    [
      'bypass time absent from the record, with a reason',
      'operation',
      { urgency: 'urgent' },
      { bypassMinutes: 'not_recorded' },
      [],
    ],
    [
      'MDT decision unknown, with a reason',
      'patient',
      { mdtDecision: null },
      { mdtDecision: 'not_recorded' },
      [],
    ],
    [
      'pre-ECMO lactate not measured, with a reason',
      'ecmoRun',
      { preLactate: null },
      { preLactate: 'not_done' },
      [],
    ],
    ['complication grade unknown, with a reason', 'complication', {}, { grade: 'unknown' }, []],
    [
      'bypass time of 184 minutes and a reason',
      'operation',
      FULL_OPERATION,
      { bypassMinutes: 'not_recorded' },
      [{ field: 'missing.bypassMinutes', reason: expect.stringContaining('the field has a value') }],
    ],
    [
      'an off-pump operation (0 bypass minutes) and a reason: zero is a value',
      'operation',
      { ...FULL_OPERATION, bypassMinutes: 0 },
      { bypassMinutes: 'not_recorded' },
      [{ field: 'missing.bypassMinutes', reason: expect.stringContaining('has a value') }],
    ],
    [
      'a first-time operation (redo false) and a reason: false is a value',
      'operation',
      FULL_OPERATION,
      { redo: 'unknown' },
      [{ field: 'missing.redo', reason: expect.stringContaining('has a value') }],
    ],
    [
      'a reason for the operation date, which is not expected to be missing',
      'operation',
      { ...FULL_OPERATION, operationDate: null },
      { operationDate: 'unknown' },
      [
        {
          field: 'missing.operationDate',
          reason: expect.stringContaining(
            'is not a field that may be missing here (urgency, redo, bypassMinutes, crossClampMinutes, euroscoreIi)',
          ),
        },
      ],
    ],
    [
      'a reason for an operation field on an ECMO run',
      'ecmoRun',
      {},
      { bypassMinutes: 'not_recorded' },
      [
        {
          field: 'missing.bypassMinutes',
          reason: expect.stringContaining('is not a field that may be missing here'),
        },
      ],
    ],
    // The outcome expects a destination for a discharge and a cause for a death, never both.
    [
      'a discharge with no destination, with a reason',
      'outcome',
      { kind: 'discharge' },
      { destination: 'unknown' },
      [],
    ],
    [
      'a discharge with a reason for the cause of death',
      'outcome',
      { kind: 'discharge', destination: 'home' },
      { causeOfDeath: 'unknown' },
      [
        {
          field: 'missing.causeOfDeath',
          reason: expect.stringContaining('is not a field that may be missing here (destination)'),
        },
      ],
    ],
    [
      'a death with no cause, with a reason',
      'outcome',
      { kind: 'death' },
      { causeOfDeath: 'awaiting_post_mortem' },
      [],
    ],
    [
      'a death with a reason for the discharge destination',
      'outcome',
      { kind: 'death', causeOfDeath: 'cardiogenic_shock' },
      { destination: 'unknown' },
      [
        {
          field: 'missing.destination',
          reason: expect.stringContaining('is not a field that may be missing here (causeOfDeath)'),
        },
      ],
    ],
    [
      'a death with a cause and a reason for it',
      'outcome',
      { kind: 'death', causeOfDeath: 'cardiogenic_shock' },
      { causeOfDeath: 'awaiting_post_mortem' },
      [{ field: 'missing.causeOfDeath', reason: expect.stringContaining('has a value') }],
    ],
    [
      'one acceptable reason, one with a value, one not expected: each is judged',
      'operation',
      { ...FULL_OPERATION, urgency: null },
      { urgency: 'not_recorded', euroscoreIi: 'not_calculated', ecmoCentre: 'unknown' },
      [
        { field: 'missing.euroscoreIi', reason: expect.stringContaining('has a value') },
        {
          field: 'missing.ecmoCentre',
          reason: expect.stringContaining('not a field that may be missing here'),
        },
      ],
    ],
  ])('%s', (_, kind, values, missing, expected) => {
    expect(missingReasonProblems(kind, values, missing)).toEqual(expected);
  });
});

describe('incompleteFields', () => {
  it.each<[string, RecordKind, Values, Reasons, string[]]>([
    ['an operation with every expected field', 'operation', FULL_OPERATION, {}, []],
    [
      'an operation with urgency null and redo absent',
      'operation',
      { ...FULL_OPERATION, urgency: null, redo: undefined },
      {},
      ['urgency', 'redo'],
    ],
    [
      'an operation with urgency null for a reason and redo absent',
      'operation',
      { ...FULL_OPERATION, urgency: null, redo: undefined },
      { urgency: 'not_recorded' },
      ['redo'],
    ],
    [
      'an off-pump, first-time operation: 0 minutes and false are values',
      'operation',
      { ...FULL_OPERATION, redo: false, bypassMinutes: 0, crossClampMinutes: 0 },
      {},
      [],
    ],
    [
      'an operation with nothing recorded',
      'operation',
      {},
      {},
      ['urgency', 'redo', 'bypassMinutes', 'crossClampMinutes', 'euroscoreIi'],
    ],
    [
      'an operation with nothing recorded, each for a reason',
      'operation',
      {},
      {
        urgency: 'a',
        redo: 'a',
        bypassMinutes: 'a',
        crossClampMinutes: 'a',
        euroscoreIi: 'a',
      },
      [],
    ],
    ['a discharge without a destination', 'outcome', { kind: 'discharge' }, {}, ['destination']],
    ['a discharge home', 'outcome', { kind: 'discharge', destination: 'home' }, {}, []],
    ['a death without a cause', 'outcome', { kind: 'death' }, {}, ['causeOfDeath']],
    [
      'a death without a cause, for a reason',
      'outcome',
      { kind: 'death' },
      { causeOfDeath: 'awaiting_post_mortem' },
      [],
    ],
    ['a death with a cause and no destination', 'outcome', { kind: 'death', causeOfDeath: 'sepsis' }, {}, []],
    [
      'a complication with only its grade',
      'complication',
      { grade: 3 },
      {},
      ['serious', 'relation', 'outcome'],
    ],
  ])('%s', (_, kind, values, missing, expected) => {
    expect(incompleteFields(kind, values, missing)).toEqual(expected);
  });

  it.each<Exclude<RecordKind, 'outcome'>>(['patient', 'operation', 'ecmoRun', 'complication'])(
    'an empty %s lists every expected field',
    (kind) => {
      expect(incompleteFields(kind, {}, {})).toEqual(EXPECTED_FIELDS[kind]);
    },
  );
});

describe('mergeMissing', () => {
  const CURRENT: Reasons = { bypassMinutes: 'not_recorded', crossClampMinutes: 'not_recorded' };

  it.each<[string, Reasons, Values, Reasons | undefined, Reasons]>([
    [
      'a correction of another field keeps the reasons',
      CURRENT,
      { urgency: 'emergency' },
      undefined,
      CURRENT,
    ],
    [
      'bypass time now recorded: its reason goes',
      CURRENT,
      { bypassMinutes: 184 },
      undefined,
      { crossClampMinutes: 'not_recorded' },
    ],
    [
      'bypass time now recorded as 0 (off pump): its reason goes',
      CURRENT,
      { bypassMinutes: 0 },
      undefined,
      { crossClampMinutes: 'not_recorded' },
    ],
    ['both times recorded: both reasons go', CURRENT, { bypassMinutes: 184, crossClampMinutes: 97 }, {}, {}],
    ['bypass time set to null: its reason stays', CURRENT, { bypassMinutes: null }, undefined, CURRENT],
    [
      'bypass time explicitly undefined: its reason stays',
      CURRENT,
      { bypassMinutes: undefined },
      undefined,
      CURRENT,
    ],
    [
      'urgency cleared with a new reason: the reason is added',
      CURRENT,
      { urgency: null },
      { urgency: 'not_recorded' },
      { ...CURRENT, urgency: 'not_recorded' },
    ],
    [
      'a new reason for a field that already has one replaces it',
      CURRENT,
      {},
      { bypassMinutes: 'perfusion_chart_lost' },
      { bypassMinutes: 'perfusion_chart_lost', crossClampMinutes: 'not_recorded' },
    ],
    [
      'bypass time recorded and a reason for the EuroSCORE added',
      CURRENT,
      { bypassMinutes: 184 },
      { euroscoreIi: 'not_calculated' },
      { crossClampMinutes: 'not_recorded', euroscoreIi: 'not_calculated' },
    ],
    ['no reasons before or after', {}, { bypassMinutes: 184 }, undefined, {}],
  ])('%s', (_, current, changes, added, expected) => {
    expect(mergeMissing(current, changes, added)).toEqual(expected);
  });

  it('does not change the current reasons', () => {
    const current = { ...CURRENT };
    mergeMissing(current, { bypassMinutes: 184 }, { urgency: 'not_recorded' });
    expect(current).toEqual(CURRENT);
  });
});
