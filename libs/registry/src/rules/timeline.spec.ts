import {
  datedAfterWithdrawal,
  deathInstant,
  FUTURE_TOLERANCE_MS,
  type TimelineFacts,
  type TimelineProblem,
  timelineProblems,
  type TimelineRun,
} from './timeline.js';

const at = (iso: string): Date => new Date(iso);
const NOW = at('2026-08-01T12:00:00Z');

// London is on BST (UTC+1) in July: 2026-06-30T23:30Z is 00:30 on 1 July, 2026-06-30T22:30Z is 23:30 on 30 June.
const OPERATION_DATE = '2026-07-01';

const run = (id: string, start: string, end: string | null, endReason: string | null): TimelineRun => ({
  id,
  startedAt: at(start),
  endedAt: end === null ? null : at(end),
  endReason,
});
const complication = (id: string, onset: string, ecmoRunId: string | null = null) => ({
  id,
  onsetAt: at(onset),
  ecmoRunId,
});
const discharge = (iso: string) => ({ kind: 'discharge' as const, occurredAt: at(iso) });
const death = (iso: string) => ({ kind: 'death' as const, occurredAt: at(iso) });

/** Operated on 1 July, cannulated in theatre that day, weaned on 5 July, discharged on 20 July. */
const R1 = run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'weaned');
const CONSISTENT: TimelineFacts = {
  operationDate: OPERATION_DATE,
  runs: [R1],
  complications: [
    complication('bleed-on-ecmo', '2026-07-03T12:00:00Z', 'run-1'),
    complication('aki-after-ecmo', '2026-07-10T09:00:00Z'),
  ],
  outcome: discharge('2026-07-20T14:00:00Z'),
};

/** The operation and some runs, without complications or an outcome. */
const withRuns = (...runs: TimelineRun[]): TimelineFacts => ({
  operationDate: OPERATION_DATE,
  runs,
  complications: [],
  outcome: null,
});

describe('timelineProblems', () => {
  it.each<[string, TimelineFacts, TimelineProblem[]]>([
    ['a consistent timeline: operation, run, complications on and after ECMO, discharge', CONSISTENT, []],
    ['no operation recorded yet: runs are not compared with it', { ...CONSISTENT, operationDate: null }, []],
    ['nothing recorded but the operation', withRuns(), []],
    // Operation day, read on the London calendar.
    [
      'a run started at 00:30 BST on the operation day (23:30 UTC the day before)',
      withRuns(run('run-1', '2026-06-30T23:30:00Z', '2026-07-05T10:00:00Z', 'weaned')),
      [],
    ],
    [
      'a run started at 23:30 BST the evening before the operation',
      withRuns(run('run-1', '2026-06-30T22:30:00Z', '2026-07-05T10:00:00Z', 'weaned')),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('ECMO run 1 starts before the index operation (2026-07-01)'),
        },
      ],
    ],
    [
      'in winter (GMT), a run at 23:30 UTC the day before the operation is the day before',
      {
        ...withRuns(run('run-1', '2026-01-14T23:30:00Z', '2026-01-18T10:00:00Z', 'weaned')),
        operationDate: '2026-01-15',
      },
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('starts before the index operation (2026-01-15)'),
        },
      ],
    ],
    // Start and end of a run.
    [
      'a run decannulated at the instant of cannulation',
      withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-01T10:00:00Z', 'weaned')),
      [
        {
          field: 'ecmoRun.endedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('ECMO run 1 must end after it starts'),
        },
      ],
    ],
    [
      'a run decannulated before it was cannulated',
      withRuns(run('run-1', '2026-07-03T10:00:00Z', '2026-07-02T10:00:00Z', 'weaned')),
      [
        {
          field: 'ecmoRun.endedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('must end after it starts'),
        },
      ],
    ],
    [
      'a decannulation instant without an end reason',
      withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', null)),
      [
        {
          field: 'ecmoRun.endReason',
          recordId: 'run-1',
          reason: expect.stringContaining('the end instant and the end reason are recorded together'),
        },
      ],
    ],
    [
      'an end reason (weaned) on a run still running',
      withRuns(run('run-1', '2026-07-01T10:00:00Z', null, 'weaned')),
      [
        {
          field: 'ecmoRun.endedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('the end instant and the end reason are recorded together'),
        },
      ],
    ],
    [
      'a run still running, without an end reason',
      withRuns(run('run-1', '2026-07-01T10:00:00Z', null, null)),
      [],
    ],
    // Several runs.
    [
      'a second run cannulated at the instant the first was decannulated',
      withRuns(R1, run('run-2', '2026-07-05T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned')),
      [],
    ],
    [
      'a second run cannulated a day before the first was decannulated',
      withRuns(R1, run('run-2', '2026-07-04T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned')),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-2',
          reason: expect.stringContaining('ECMO run 2 starts before ECMO run 1 ends (runs cannot overlap)'),
        },
      ],
    ],
    [
      'a run still running, followed by another',
      withRuns(
        run('run-1', '2026-07-01T10:00:00Z', null, null),
        run('run-2', '2026-07-04T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'),
      ),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-2',
          reason: expect.stringContaining('ECMO run 2 starts before ECMO run 1 ends'),
        },
      ],
    ],
    [
      'overlapping runs given latest first are numbered by their start',
      withRuns(run('late', '2026-07-04T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'), R1),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'late',
          reason: expect.stringContaining('ECMO run 2 starts before ECMO run 1 ends'),
        },
      ],
    ],
    [
      'a run cannulated after the patient died on ECMO',
      withRuns(
        run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'died_on_ecmo'),
        run('run-2', '2026-07-06T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'),
      ),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-2',
          reason: expect.stringContaining("ECMO run 2 starts after the patient's death"),
        },
      ],
    ],
    [
      'a run cannulated at the instant the patient died on ECMO',
      withRuns(
        run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'died_on_ecmo'),
        run('run-2', '2026-07-05T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'),
      ),
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-2',
          reason: expect.stringContaining("starts after the patient's death"),
        },
      ],
    ],
    [
      'a second run after care was withdrawn on the first is not after a death',
      withRuns(
        run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'withdrawn_futility'),
        run('run-2', '2026-07-06T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'),
      ),
      [],
    ],
    // The hospital outcome against the runs.
    [
      'death recorded at the instant of decannulation',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'died_on_ecmo')),
        outcome: death('2026-07-05T10:00:00Z'),
      },
      [],
    ],
    [
      'discharge recorded a day before decannulation',
      { ...withRuns(R1), outcome: discharge('2026-07-04T10:00:00Z') },
      [
        {
          field: 'outcome.occurredAt',
          recordId: 'run-1',
          reason: expect.stringContaining('ECMO run 1 must end at or before the hospital discharge'),
        },
      ],
    ],
    [
      'death recorded while the run is still running',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', null, null)),
        outcome: death('2026-07-04T10:00:00Z'),
      },
      [
        {
          field: 'ecmoRun.endedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('ECMO run 1 must end at or before the hospital death'),
        },
      ],
    ],
    [
      'discharge recorded the day before the operation',
      { ...withRuns(), outcome: discharge('2026-06-30T10:00:00Z') },
      [{ field: 'outcome.occurredAt', reason: expect.stringContaining('is before the index operation') }],
    ],
    [
      'discharged alive after dying on ECMO',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'died_on_ecmo')),
        outcome: discharge('2026-07-20T14:00:00Z'),
      },
      [
        {
          field: 'outcome.kind',
          reason: expect.stringContaining('the patient died on ECMO: the hospital outcome is a death'),
        },
      ],
    ],
    [
      'discharged alive after care was withdrawn is not refused for its kind',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'withdrawn_futility')),
        outcome: discharge('2026-07-20T14:00:00Z'),
      },
      [],
    ],
    // Complications.
    [
      'a complication at 00:30 BST on the operation day',
      { ...withRuns(), complications: [complication('c', '2026-06-30T23:30:00Z')] },
      [],
    ],
    [
      'a complication at 23:30 BST the evening before the operation',
      { ...withRuns(), complications: [complication('c', '2026-06-30T22:30:00Z')] },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('before the index operation'),
        },
      ],
    ],
    [
      'a complication the day after the hospital death',
      {
        ...CONSISTENT,
        outcome: death('2026-07-20T14:00:00Z'),
        complications: [complication('c', '2026-07-21T09:00:00Z')],
      },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining("after the patient's death"),
        },
      ],
    ],
    [
      'a complication after the patient died on ECMO, with no outcome recorded yet',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', '2026-07-05T10:00:00Z', 'died_on_ecmo')),
        complications: [complication('c', '2026-07-05T11:00:00Z')],
      },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining("after the patient's death"),
        },
      ],
    ],
    [
      'a complication at the instant of death',
      {
        ...CONSISTENT,
        outcome: death('2026-07-20T14:00:00Z'),
        complications: [complication('c', '2026-07-20T14:00:00Z')],
      },
      [],
    ],
    [
      'a complication the day after discharge',
      { ...CONSISTENT, complications: [complication('c', '2026-07-21T09:00:00Z')] },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('after the hospital discharge'),
        },
      ],
    ],
    [
      'a complication recorded on the run, a day after decannulation',
      { ...CONSISTENT, complications: [complication('c', '2026-07-06T10:00:00Z', 'run-1')] },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('is outside ECMO run 1, which it is recorded on'),
        },
      ],
    ],
    [
      'a complication recorded on the run, in theatre before cannulation',
      { ...CONSISTENT, complications: [complication('c', '2026-07-01T09:00:00Z', 'run-1')] },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('outside ECMO run 1'),
        },
      ],
    ],
    [
      'a complication at the instants of cannulation and decannulation is on the run',
      {
        ...CONSISTENT,
        complications: [
          complication('c1', '2026-07-01T10:00:00Z', 'run-1'),
          complication('c2', '2026-07-05T10:00:00Z', 'run-1'),
        ],
      },
      [],
    ],
    [
      'a complication on a run still running',
      {
        ...withRuns(run('run-1', '2026-07-01T10:00:00Z', null, null)),
        complications: [complication('c', '2026-07-20T10:00:00Z', 'run-1')],
      },
      [],
    ],
    [
      'a complication recorded on the second run but dated during the first',
      {
        ...withRuns(run('run-2', '2026-07-06T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'), R1),
        complications: [complication('c', '2026-07-03T10:00:00Z', 'run-2')],
      },
      [
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('outside ECMO run 2'),
        },
      ],
    ],
    [
      'a complication recorded on a run that is not this patient’s',
      { ...CONSISTENT, complications: [complication('c', '2026-07-03T12:00:00Z', 'someone-elses-run')] },
      [
        {
          field: 'complication.ecmoRunId',
          recordId: 'c',
          reason: expect.stringContaining('is not an ECMO run of this patient'),
        },
      ],
    ],
    // Several problems come in a stable order: operation, runs by start, complications, outcome.
    [
      'several problems at once',
      {
        operationDate: OPERATION_DATE,
        runs: [
          run('run-2', '2026-07-04T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'),
          run('run-1', '2026-06-30T10:00:00Z', null, null),
        ],
        complications: [complication('c', '2026-07-03T12:00:00Z', 'gone')],
        outcome: discharge('2026-06-30T09:00:00Z'),
      },
      [
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('before the index operation'),
        },
        {
          field: 'ecmoRun.startedAt',
          recordId: 'run-2',
          reason: expect.stringContaining('ECMO run 2 starts before ECMO run 1 ends'),
        },
        {
          field: 'ecmoRun.endedAt',
          recordId: 'run-1',
          reason: expect.stringContaining('ECMO run 1 must end at or before'),
        },
        {
          field: 'outcome.occurredAt',
          recordId: 'run-2',
          reason: expect.stringContaining('ECMO run 2 must end at or before'),
        },
        {
          field: 'complication.onsetAt',
          recordId: 'c',
          reason: expect.stringContaining('after the hospital discharge'),
        },
        {
          field: 'complication.ecmoRunId',
          recordId: 'c',
          reason: expect.stringContaining('not an ECMO run'),
        },
        { field: 'outcome.occurredAt', reason: expect.stringContaining('before the index operation') },
      ],
    ],
  ])('%s', (_, facts, expected) => {
    expect(timelineProblems(facts, NOW)).toEqual(expected);
  });

  describe('nothing may be dated in the future', () => {
    // 12:00 UTC is 13:00 BST on 1 July.
    const now = at('2026-07-01T12:00:00Z');
    const minutesAfterNow = (minutes: number): string =>
      new Date(now.getTime() + minutes * 60_000).toISOString();

    it('tolerates five minutes of clock difference', () => {
      expect(FUTURE_TOLERANCE_MS).toBe(5 * 60_000);
    });

    it.each<[string, TimelineFacts, TimelineProblem[]]>([
      ['a run cannulated 4 minutes after now', withRuns(run('run-1', minutesAfterNow(4), null, null)), []],
      [
        'a run cannulated exactly 5 minutes after now',
        withRuns(run('run-1', minutesAfterNow(5), null, null)),
        [],
      ],
      [
        'a run cannulated 10 minutes after now',
        withRuns(run('run-1', minutesAfterNow(10), null, null)),
        [
          {
            field: 'ecmoRun.startedAt',
            recordId: 'run-1',
            reason: expect.stringContaining('is in the future'),
          },
        ],
      ],
      [
        'a run decannulated 10 minutes after now',
        withRuns(run('run-1', '2026-07-01T10:00:00Z', minutesAfterNow(10), 'weaned')),
        [
          {
            field: 'ecmoRun.endedAt',
            recordId: 'run-1',
            reason: expect.stringContaining('is in the future'),
          },
        ],
      ],
      [
        'a complication 10 minutes after now',
        { ...withRuns(), complications: [complication('c', minutesAfterNow(10))] },
        [
          {
            field: 'complication.onsetAt',
            recordId: 'c',
            reason: expect.stringContaining('is in the future'),
          },
        ],
      ],
      [
        'a discharge 10 minutes after now',
        { ...withRuns(), outcome: discharge(minutesAfterNow(10)) },
        [{ field: 'outcome.occurredAt', reason: expect.stringContaining('is in the future') }],
      ],
      ['an operation today', withRuns(), []],
      [
        'an operation tomorrow',
        { ...withRuns(), operationDate: '2026-07-02' },
        [{ field: 'operation.operationDate', reason: expect.stringContaining('is in the future') }],
      ],
    ])('%s', (_, facts, expected) => {
      expect(timelineProblems(facts, now)).toEqual(expected);
    });

    it.each<[string, string, string, boolean]>([
      [
        'at 00:30 BST on 2 July, an operation on 2 July is today',
        '2026-07-01T23:30:00Z',
        '2026-07-02',
        false,
      ],
      [
        'at 23:30 BST on 1 July, an operation on 2 July is tomorrow',
        '2026-07-01T22:30:00Z',
        '2026-07-02',
        true,
      ],
      [
        'at 00:30 GMT on 15 January, an operation on 15 January is today',
        '2026-01-15T00:30:00Z',
        '2026-01-15',
        false,
      ],
    ])('the operation day is read on the London calendar: %s', (_, nowIso, operationDate, inFuture) => {
      const problems = timelineProblems({ ...withRuns(), operationDate }, at(nowIso));
      expect(problems.some((p) => p.field === 'operation.operationDate')).toBe(inFuture);
    });
  });

  it('throws a RangeError on an invalid now', () => {
    expect(() => timelineProblems(CONSISTENT, new Date(Number.NaN))).toThrow(RangeError);
  });

  it('does not reorder the caller’s runs', () => {
    const runs = [run('run-2', '2026-07-06T10:00:00Z', '2026-07-08T10:00:00Z', 'weaned'), R1];
    timelineProblems({ ...withRuns(...runs) }, NOW);
    expect(runs.map((r) => r.id)).toEqual(['run-2', 'run-1']);
  });
});

describe('deathInstant', () => {
  const END = '2026-07-05T10:00:00Z';

  it.each<[string, Pick<TimelineFacts, 'runs' | 'outcome'>, string | null]>([
    ['nothing recorded', { runs: [], outcome: null }, null],
    ['a weaned run and a discharge', { runs: [R1], outcome: discharge('2026-07-20T14:00:00Z') }, null],
    ['a hospital death', { runs: [R1], outcome: death('2026-07-20T14:00:00Z') }, '2026-07-20T14:00:00.000Z'],
    [
      'died on ECMO, no outcome yet',
      { runs: [run('r', '2026-07-01T10:00:00Z', END, 'died_on_ecmo')], outcome: null },
      '2026-07-05T10:00:00.000Z',
    ],
    [
      'died on ECMO before the recorded death: the run end is earlier',
      {
        runs: [run('r', '2026-07-01T10:00:00Z', END, 'died_on_ecmo')],
        outcome: death('2026-07-05T12:00:00Z'),
      },
      '2026-07-05T10:00:00.000Z',
    ],
    [
      'a recorded death before the died-on-ECMO run end: the death is earlier',
      {
        runs: [run('r', '2026-07-01T10:00:00Z', END, 'died_on_ecmo')],
        outcome: death('2026-07-05T08:00:00Z'),
      },
      '2026-07-05T08:00:00.000Z',
    ],
    [
      'care withdrawn for futility, death recorded after decannulation',
      {
        runs: [run('r', '2026-07-01T10:00:00Z', END, 'withdrawn_futility')],
        outcome: death('2026-07-05T11:30:00Z'),
      },
      '2026-07-05T11:30:00.000Z',
    ],
    [
      'care withdrawn for futility, no death recorded yet',
      { runs: [run('r', '2026-07-01T10:00:00Z', END, 'withdrawn_futility')], outcome: null },
      null,
    ],
    [
      'died on ECMO without an end instant',
      { runs: [run('r', '2026-07-01T10:00:00Z', null, 'died_on_ecmo')], outcome: null },
      null,
    ],
  ])('%s', (_, facts, expected) => {
    expect(deathInstant(facts)?.toISOString() ?? null).toBe(expected);
  });
});

describe('datedAfterWithdrawal', () => {
  const WITHDRAWN = '2026-07-10T12:00:00Z';

  it.each<[string, string, string, boolean]>([
    ['a complication a millisecond after the withdrawal', '2026-07-10T12:00:00.001Z', WITHDRAWN, true],
    ['a complication at the instant of the withdrawal', WITHDRAWN, WITHDRAWN, false],
    ['a complication a day before the withdrawal', '2026-07-09T12:00:00Z', WITHDRAWN, false],
  ])('instants compare exactly: %s (%s, withdrawn %s) → %s', (_, dated, withdrawnAt, expected) => {
    expect(datedAfterWithdrawal(at(dated), at(withdrawnAt))).toBe(expected);
  });

  it.each<[string, string, string, boolean]>([
    ['withdrawn at 00:30 BST on 1 July, operated on 1 July', '2026-07-01', '2026-06-30T23:30:00Z', false],
    ['withdrawn at 00:30 BST on 1 July, operated on 2 July', '2026-07-02', '2026-06-30T23:30:00Z', true],
    ['withdrawn at 00:30 BST on 1 July, operated on 30 June', '2026-06-30', '2026-06-30T23:30:00Z', false],
    ['withdrawn at 23:30 BST on 30 June, operated on 1 July', '2026-07-01', '2026-06-30T22:30:00Z', true],
    [
      'withdrawn at 23:30 GMT on 14 January, operated on 15 January',
      '2026-01-15',
      '2026-01-14T23:30:00Z',
      true,
    ],
    [
      'withdrawn at 23:30 GMT on 14 January, operated on 14 January',
      '2026-01-14',
      '2026-01-14T23:30:00Z',
      false,
    ],
  ])(
    'calendar dates compare by London day: %s (%s, withdrawn %s) → %s',
    (_, dated, withdrawnAt, expected) => {
      expect(datedAfterWithdrawal(dated, at(withdrawnAt))).toBe(expected);
    },
  );
});
