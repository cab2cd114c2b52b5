import {
  ageBand,
  ageInYears,
  DEFAULT_ELIGIBILITY_OPTIONS,
  eligibilityFailures,
  type EligibilityFacts,
  type EligibilityOptions,
} from './eligibility.js';
import { londonCalendarDate } from '../../../time/src/index.js';

const at = (iso: string): Date => new Date(iso);

describe('londonCalendarDate', () => {
  it.each([
    // 2025: clocks go forward at 01:00 UTC on 30 March, back at 01:00 UTC on 26 October.
    ['2025-03-29T23:30:00Z', '2025-03-29', 'GMT, the evening before the spring change'],
    ['2025-03-30T00:59:59Z', '2025-03-30', 'GMT, the last second before the spring change'],
    ['2025-03-30T22:59:59Z', '2025-03-30', 'BST 23:59:59 on the spring change day'],
    ['2025-03-30T23:00:00Z', '2025-03-31', 'BST midnight after the spring change'],
    ['2025-10-25T23:30:00Z', '2025-10-26', 'BST 00:30 on the autumn change day'],
    ['2025-10-26T00:59:59Z', '2025-10-26', 'BST 01:59:59, the last second before the autumn change'],
    ['2025-10-26T23:30:00Z', '2025-10-26', 'GMT 23:30 after the autumn change'],
    // 2026: clocks go forward at 01:00 UTC on 29 March, back at 01:00 UTC on 25 October.
    ['2026-03-28T23:30:00Z', '2026-03-28', 'GMT, the evening before the spring change'],
    ['2026-03-29T00:30:00Z', '2026-03-29', 'GMT 00:30 on the spring change day'],
    ['2026-03-29T22:59:59Z', '2026-03-29', 'BST 23:59:59 on the spring change day'],
    ['2026-03-29T23:00:00Z', '2026-03-30', 'BST midnight after the spring change'],
    ['2026-10-24T23:30:00Z', '2026-10-25', 'BST 00:30 on the autumn change day'],
    ['2026-10-25T23:30:00Z', '2026-10-25', 'GMT 23:30 after the autumn change'],
    ['2026-10-26T00:00:00Z', '2026-10-26', 'GMT midnight'],
    // Month and year boundaries.
    ['2026-05-31T23:00:00Z', '2026-06-01', 'BST midnight, a new month'],
    ['2025-12-31T23:59:59Z', '2025-12-31', 'GMT, the last second of the year'],
    ['2026-01-01T00:00:00Z', '2026-01-01', 'GMT, new year'],
  ])('%s → %s (%s)', (instant, expected) => {
    const [year, month, day] = expected.split('-').map(Number);
    expect(londonCalendarDate(at(instant))).toEqual({ year, month, day });
  });

  it('throws on an invalid instant', () => {
    expect(() => londonCalendarDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('ageInYears', () => {
  it.each([
    // Summer dates are read in BST (UTC+1): London midnight is 23:00 UTC the day before.
    ['2007-06-15', '2025-06-14T22:59:59Z', 17, 'the day before the 18th birthday, 23:59:59 BST'],
    ['2007-06-15', '2025-06-14T23:00:00Z', 18, 'on the 18th birthday, at midnight BST'],
    ['2007-06-15', '2025-06-15T22:59:59Z', 18, 'on the 18th birthday, 23:59:59 BST'],
    ['2007-06-15', '2025-05-31T12:00:00Z', 17, 'an earlier month'],
    ['2007-06-15', '2025-07-01T12:00:00Z', 18, 'a later month'],
    ['2007-06-15', '2026-06-14T12:00:00Z', 18, 'the day before the 19th birthday'],
    ['1950-01-01', '2025-12-31T12:00:00Z', 75, 'the last day of the year'],
    ['2006-12-31', '2025-01-01T00:00:00Z', 18, 'year boundary'],
    // The London calendar date counts: 00:30 BST on 15 June is still 14 June in UTC.
    ['2007-06-15', '2025-06-14T23:30:00Z', 18, 'the London birthday, still the day before in UTC'],
    ['2008-06-15', '2026-06-14T23:30:00Z', 18, 'ECMO at 00:30 BST on the 18th birthday'],
    ['2008-06-15', '2026-06-14T22:30:00Z', 17, 'ECMO at 23:30 BST the day before the 18th birthday'],
    // In winter (GMT) London and UTC agree.
    ['2007-12-15', '2025-12-14T23:30:00Z', 17, 'GMT, 23:30 the day before the 18th birthday'],
    ['2007-12-15', '2025-12-15T00:00:00Z', 18, 'GMT, midnight on the 18th birthday'],
    // 29 February births: 18 on 1 March in a non-leap year, on 29 February in a leap year.
    ['2008-02-29', '2026-02-28T12:00:00Z', 17, '29 Feb birth, 28 Feb of a non-leap year'],
    ['2008-02-29', '2026-03-01T00:00:00Z', 18, '29 Feb birth, 1 Mar of a non-leap year'],
    ['2004-02-29', '2022-02-28T23:59:59Z', 17, '29 Feb birth, 28 Feb of a non-leap 18th year'],
    ['2004-02-29', '2022-03-01T00:00:00Z', 18, '29 Feb birth, 1 Mar of a non-leap 18th year'],
    ['2008-02-29', '2028-02-28T12:00:00Z', 19, '29 Feb birth, 28 Feb of a leap year'],
    ['2008-02-29', '2028-02-29T12:00:00Z', 20, '29 Feb birth, 29 Feb of a leap year'],
    ['2007-02-28', '2025-02-28T12:00:00Z', 18, '28 Feb birth on 28 Feb'],
    ['2007-03-01', '2025-02-28T12:00:00Z', 17, '1 Mar birth on 28 Feb'],
    ['2025-06-15', '2025-06-14T12:00:00Z', -1, 'before birth'],
    ['2025-06-15', '2025-06-15T12:00:00Z', 0, 'the day of birth'],
  ])('born %s, on %s: %i (%s)', (dateOfBirth, on, expected) => {
    expect(ageInYears(dateOfBirth, at(on))).toBe(expected);
  });

  it.each(['2007-02-29', '2007-13-01', '2007-04-31', '2007-6-15', '15/06/2007', '2007-06-15T00:00:00Z', ''])(
    'throws on the date of birth %j',
    (dateOfBirth) => {
      expect(() => ageInYears(dateOfBirth, at('2025-06-15T12:00:00Z'))).toThrow(RangeError);
    },
  );

  it('throws on an invalid instant', () => {
    expect(() => ageInYears('2007-06-15', new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('ageBand', () => {
  it.each([
    [18, '18-39'],
    [39, '18-39'],
    [40, '40-49'],
    [49, '40-49'],
    [50, '50-59'],
    [59, '50-59'],
    [60, '60-69'],
    [69, '60-69'],
    [70, '70-79'],
    [79, '70-79'],
    [80, '80+'],
    [104, '80+'],
  ])('%i → %s', (age, expected) => {
    expect(ageBand(age)).toBe(expected);
  });

  it.each([17, 0, -1, 40.5, Number.NaN])('throws on %s', (age) => {
    expect(() => ageBand(age)).toThrow(RangeError);
  });
});

describe('eligibilityFailures', () => {
  // An eligible patient: 60, VA ECMO in theatre for failure to wean, MDT decision before the start.
  // 10 March 2025 is in GMT (London and UTC agree); summer cases below are in BST.
  const operation = '2025-03-10';
  const eligible: EligibilityFacts = {
    dateOfBirth: '1965-01-20',
    ecmoStart: at('2025-03-10T14:00:00Z'),
    ecmoMode: 'VA',
    startLocation: 'theatre',
    startedFor: 'failure_to_wean',
    operationDate: operation,
    mdtDecisionAt: at('2025-03-10T13:30:00Z'),
  };
  // The same patient failing to wean at `ecmoStart`, MDT decision at the start.
  const wean = (ecmoStart: string, changes: Partial<EligibilityFacts> = {}): EligibilityFacts => ({
    ...eligible,
    ecmoStart: at(ecmoStart),
    mdtDecisionAt: at(ecmoStart),
    ...changes,
  });
  // The same patient treated for post-operative shock in ICU, MDT decision at the start.
  const shock = (ecmoStart: string, changes: Partial<EligibilityFacts> = {}): EligibilityFacts => ({
    ...wean(ecmoStart),
    startLocation: 'icu',
    startedFor: 'post_operative_shock',
    ...changes,
  });
  // Rule and field of each failure, to compare tables without the wording.
  const failures = (facts: EligibilityFacts, options?: Partial<EligibilityOptions>): string[] =>
    eligibilityFailures(facts, options).map((f) => `${f.rule}:${f.field}`);

  it('defaults to 7 days after the operation and 24 hours of MDT grace', () => {
    expect(DEFAULT_ELIGIBILITY_OPTIONS).toEqual({ pccsLimitDays: 7, mdtEmergencyGraceHours: 24 });
  });

  it.each<[string, EligibilityFacts, string[]]>([
    ['an eligible patient', eligible, []],
    // adult
    ['18 on the ECMO start date', { ...eligible, dateOfBirth: '2007-03-10' }, []],
    ['17, a day short of 18', { ...eligible, dateOfBirth: '2007-03-11' }, ['adult:dateOfBirth']],
    ['born 29 Feb 2007 is impossible', { ...eligible, dateOfBirth: '2007-02-29' }, ['adult:dateOfBirth']],
    [
      'born 29 Feb, ECMO on 28 Feb of the non-leap 18th year',
      wean('2022-02-28T14:00:00Z', { dateOfBirth: '2004-02-29', operationDate: '2022-02-28' }),
      ['adult:dateOfBirth'],
    ],
    [
      'born 29 Feb, ECMO on 1 Mar of the non-leap 18th year',
      wean('2022-03-01T14:00:00Z', { dateOfBirth: '2004-02-29', operationDate: '2022-03-01' }),
      [],
    ],
    [
      'ECMO at 00:30 BST on the 18th birthday (23:30 UTC the day before)',
      wean('2026-06-14T23:30:00Z', { dateOfBirth: '2008-06-15', operationDate: '2026-06-14' }),
      [],
    ],
    [
      'ECMO at 23:30 BST the day before the 18th birthday',
      wean('2026-06-14T22:30:00Z', { dateOfBirth: '2008-06-15', operationDate: '2026-06-14' }),
      ['adult:dateOfBirth'],
    ],
    ['born after ECMO start', { ...eligible, dateOfBirth: '2030-01-01' }, ['adult:dateOfBirth']],
    ['a malformed date of birth', { ...eligible, dateOfBirth: '20/01/1965' }, ['adult:dateOfBirth']],
    // va_mode
    ['VV ECMO', { ...eligible, ecmoMode: 'VV' }, ['va_mode:ecmoMode']],
    ['hybrid VAV ECMO', { ...eligible, ecmoMode: 'VAV' }, ['va_mode:ecmoMode']],
    // pccs_timing: the operation date
    [
      'a malformed operation date',
      { ...eligible, operationDate: '10/03/2025' },
      ['pccs_timing:operationDate'],
    ],
    [
      'an impossible operation date',
      { ...eligible, operationDate: '2025-02-29' },
      ['pccs_timing:operationDate'],
    ],
    [
      'an operation date-time',
      { ...eligible, operationDate: '2025-03-10T08:00:00Z' },
      ['pccs_timing:operationDate'],
    ],
    [
      'failure to wean in ICU, malformed operation date',
      { ...eligible, startLocation: 'icu', operationDate: '2025-3-10' },
      ['pccs_timing:startLocation', 'pccs_timing:operationDate'],
    ],
    [
      'shock, malformed operation date',
      shock('2025-03-12T08:00:00Z', { operationDate: '' }),
      ['pccs_timing:operationDate'],
    ],
    // pccs_timing, failure to wean
    ['failure to wean at midnight starting the operation day', wean('2025-03-10T00:00:00Z'), []],
    ['failure to wean the next day (the operation ran past midnight)', wean('2025-03-11T07:00:00Z'), []],
    ['failure to wean at 23:59:59 the next day', wean('2025-03-11T23:59:59Z'), []],
    [
      'failure to wean 2 days after the operation day',
      wean('2025-03-12T00:00:00Z'),
      ['pccs_timing:ecmoStart'],
    ],
    ['failure to wean at 23:59:59 the day before', wean('2025-03-09T23:59:59Z'), ['pccs_timing:ecmoStart']],
    [
      'failure to wean at 00:30 BST on the operation day (23:30 UTC the day before)',
      wean('2025-06-09T23:30:00Z', { operationDate: '2025-06-10' }),
      [],
    ],
    [
      'failure to wean at 23:59:59 BST the next day',
      wean('2025-06-11T22:59:59Z', { operationDate: '2025-06-10' }),
      [],
    ],
    [
      'failure to wean at 00:30 BST 2 days after (23:30 UTC the next day)',
      wean('2025-06-11T23:30:00Z', { operationDate: '2025-06-10' }),
      ['pccs_timing:ecmoStart'],
    ],
    ['failure to wean started in ICU', { ...eligible, startLocation: 'icu' }, ['pccs_timing:startLocation']],
    [
      'failure to wean started elsewhere',
      { ...eligible, startLocation: 'elsewhere' },
      ['pccs_timing:startLocation'],
    ],
    [
      'failure to wean in ICU before the operation',
      { ...eligible, startLocation: 'icu', ecmoStart: at('2025-03-09T14:00:00Z'), mdtDecisionAt: null },
      ['pccs_timing:startLocation', 'pccs_timing:ecmoStart', 'mdt_decision:mdtDecisionAt'],
    ],
    [
      'failure to wean in ICU 2 days after',
      wean('2025-03-12T10:00:00Z', { startLocation: 'icu' }),
      ['pccs_timing:startLocation', 'pccs_timing:ecmoStart'],
    ],
    // pccs_timing, post-operative shock
    ['shock in ICU 3 days after the operation', shock('2025-03-13T08:00:00Z'), []],
    [
      'shock in theatre (re-exploration) the next day',
      shock('2025-03-11T10:00:00Z', { startLocation: 'theatre' }),
      [],
    ],
    ['shock started elsewhere (ward)', shock('2025-03-12T10:00:00Z', { startLocation: 'elsewhere' }), []],
    ['shock at midnight starting the operation day', shock('2025-03-10T00:00:00Z'), []],
    ['shock later on the operation day', shock('2025-03-10T20:00:00Z'), []],
    ['shock at 23:59:59 on day 7', shock('2025-03-17T23:59:59Z'), []],
    ['shock at midnight starting day 8', shock('2025-03-18T00:00:00Z'), ['pccs_timing:ecmoStart']],
    [
      'shock at 23:59:59 the day before the operation',
      shock('2025-03-09T23:59:59Z'),
      ['pccs_timing:ecmoStart'],
    ],
    ['shock at 23:59:59 BST on day 7', shock('2025-06-17T22:59:59Z', { operationDate: '2025-06-10' }), []],
    [
      'shock at midnight BST starting day 8 (23:00 UTC on day 7)',
      shock('2025-06-17T23:00:00Z', { operationDate: '2025-06-10' }),
      ['pccs_timing:ecmoStart'],
    ],
    [
      'shock at 00:30 BST on the operation day (23:30 UTC the day before)',
      shock('2025-06-09T23:30:00Z', { operationDate: '2025-06-10' }),
      [],
    ],
    // mdt_decision
    ['no MDT decision', { ...eligible, mdtDecisionAt: null }, ['mdt_decision:mdtDecisionAt']],
    ['MDT decision at the ECMO start instant', { ...eligible, mdtDecisionAt: eligible.ecmoStart }, []],
    ['MDT decision days before (planned)', { ...eligible, mdtDecisionAt: at('2025-03-01T10:00:00Z') }, []],
    [
      'emergency start, MDT confirmed 23 h later',
      { ...eligible, mdtDecisionAt: at('2025-03-11T13:00:00Z') },
      [],
    ],
    [
      'emergency start, MDT confirmed exactly 24 h later',
      { ...eligible, mdtDecisionAt: at('2025-03-11T14:00:00Z') },
      [],
    ],
    [
      'emergency start, MDT confirmed 24 h and 1 s later',
      { ...eligible, mdtDecisionAt: at('2025-03-11T14:00:01Z') },
      ['mdt_decision:mdtDecisionAt'],
    ],
    [
      'shock in ICU, MDT decision 1 s after the start',
      shock('2025-03-12T08:00:00Z', { mdtDecisionAt: at('2025-03-12T08:00:01Z') }),
      ['mdt_decision:mdtDecisionAt'],
    ],
    [
      'shock started elsewhere, MDT decision 1 h after the start',
      shock('2025-03-12T08:00:00Z', {
        startLocation: 'elsewhere',
        mdtDecisionAt: at('2025-03-12T09:00:00Z'),
      }),
      ['mdt_decision:mdtDecisionAt'],
    ],
    [
      'shock in theatre is an emergency start: MDT decision 1 h after',
      shock('2025-03-12T08:00:00Z', { startLocation: 'theatre', mdtDecisionAt: at('2025-03-12T09:00:00Z') }),
      [],
    ],
    [
      'shock in theatre, MDT confirmed exactly 24 h later',
      shock('2025-03-12T08:00:00Z', { startLocation: 'theatre', mdtDecisionAt: at('2025-03-13T08:00:00Z') }),
      [],
    ],
    [
      'shock in theatre, MDT confirmed 24 h and 1 s later',
      shock('2025-03-12T08:00:00Z', { startLocation: 'theatre', mdtDecisionAt: at('2025-03-13T08:00:01Z') }),
      ['mdt_decision:mdtDecisionAt'],
    ],
    [
      'failure to wean in ICU is not an emergency start in theatre: MDT decision 1 h after',
      { ...eligible, startLocation: 'icu', mdtDecisionAt: at('2025-03-10T15:00:00Z') },
      ['pccs_timing:startLocation', 'mdt_decision:mdtDecisionAt'],
    ],
    // every rule at once, in a stable order
    [
      'a 17-year-old on VV ECMO for shock 8 days after, no MDT decision',
      shock('2025-03-18T09:00:00Z', { dateOfBirth: '2008-01-01', ecmoMode: 'VV', mdtDecisionAt: null }),
      ['adult:dateOfBirth', 'va_mode:ecmoMode', 'pccs_timing:ecmoStart', 'mdt_decision:mdtDecisionAt'],
    ],
  ])('%s → %j', (_, facts, expected) => {
    expect(failures(facts)).toEqual(expected);
  });

  it.each<[string, EligibilityFacts, Partial<EligibilityOptions>, string[]]>([
    ['shock on day 9 with a 10-day limit', shock('2025-03-19T08:00:00Z'), { pccsLimitDays: 10 }, []],
    ['shock late on day 10 with a 10-day limit', shock('2025-03-20T23:59:59Z'), { pccsLimitDays: 10 }, []],
    [
      'shock on day 11 with a 10-day limit',
      shock('2025-03-21T00:00:00Z'),
      { pccsLimitDays: 10 },
      ['pccs_timing:ecmoStart'],
    ],
    ['shock late on day 2 with a 2-day limit', shock('2025-03-12T23:59:59Z'), { pccsLimitDays: 2 }, []],
    [
      'shock on day 3 with a 2-day limit',
      shock('2025-03-13T08:00:00Z'),
      { pccsLimitDays: 2 },
      ['pccs_timing:ecmoStart'],
    ],
    [
      'shock late on the operation day with a 0-day limit',
      shock('2025-03-10T23:59:59Z'),
      { pccsLimitDays: 0 },
      [],
    ],
    [
      'shock the next day with a 0-day limit',
      shock('2025-03-11T00:00:00Z'),
      { pccsLimitDays: 0 },
      ['pccs_timing:ecmoStart'],
    ],
    [
      'failure to wean the next day whatever the shock limit',
      wean('2025-03-11T10:00:00Z'),
      { pccsLimitDays: 0 },
      [],
    ],
    [
      'failure to wean 2 days after whatever the shock limit',
      wean('2025-03-12T10:00:00Z'),
      { pccsLimitDays: 10 },
      ['pccs_timing:ecmoStart'],
    ],
    [
      'MDT 30 h after an emergency start with 48 h of grace',
      { ...eligible, mdtDecisionAt: at('2025-03-11T20:00:00Z') },
      { mdtEmergencyGraceHours: 48 },
      [],
    ],
    [
      'MDT 2 h after an emergency start with 1 h of grace',
      { ...eligible, mdtDecisionAt: at('2025-03-10T16:00:00Z') },
      { mdtEmergencyGraceHours: 1 },
      ['mdt_decision:mdtDecisionAt'],
    ],
    [
      'MDT 2 h after a shock start in theatre with 1 h of grace',
      shock('2025-03-12T08:00:00Z', { startLocation: 'theatre', mdtDecisionAt: at('2025-03-12T10:00:00Z') }),
      { mdtEmergencyGraceHours: 1 },
      ['mdt_decision:mdtDecisionAt'],
    ],
  ])('configurable: %s → %j', (_, facts, options, expected) => {
    expect(failures(facts, options)).toEqual(expected);
  });

  it('explains each failure', () => {
    expect(
      eligibilityFailures(
        shock('2025-03-18T09:00:00Z', { dateOfBirth: '2008-01-01', ecmoMode: 'VV', mdtDecisionAt: null }),
      ),
    ).toEqual([
      {
        rule: 'adult',
        field: 'dateOfBirth',
        message: 'aged 17 at ECMO start; the registry is for adults (18 or over)',
      },
      {
        rule: 'va_mode',
        field: 'ecmoMode',
        message: 'ECMO mode is VV; the registry is for veno-arterial (VA) ECMO',
      },
      {
        rule: 'pccs_timing',
        field: 'ecmoStart',
        message: 'ECMO for post-operative shock must start within 7 days of the operation',
      },
      { rule: 'mdt_decision', field: 'mdtDecisionAt', message: 'no MDT selection decision recorded' },
    ]);
  });

  it('explains a late failure to wean and a malformed operation date', () => {
    expect(eligibilityFailures(wean('2025-03-12T10:00:00Z'))).toEqual([
      {
        rule: 'pccs_timing',
        field: 'ecmoStart',
        message:
          'ECMO for failure to wean from bypass must start on the day of the operation or the next day (an operation that runs past midnight)',
      },
    ]);
    expect(eligibilityFailures({ ...eligible, operationDate: '2025-13-01' })).toEqual([
      {
        rule: 'pccs_timing',
        field: 'operationDate',
        message: 'operation date is not a real YYYY-MM-DD date',
      },
    ]);
    expect(eligibilityFailures(shock('2025-03-09T10:00:00Z'))).toEqual([
      { rule: 'pccs_timing', field: 'ecmoStart', message: 'ECMO started before the index operation' },
    ]);
  });

  it.each<[string, EligibilityFacts, Partial<EligibilityOptions>]>([
    ['an invalid ECMO start', { ...eligible, ecmoStart: new Date(Number.NaN) }, {}],
    ['an invalid MDT decision instant', { ...eligible, mdtDecisionAt: new Date(Number.NaN) }, {}],
    ['a negative limit', eligible, { pccsLimitDays: -1 }],
    ['an infinite grace', eligible, { mdtEmergencyGraceHours: Number.POSITIVE_INFINITY }],
  ])('throws on %s', (_, facts, options) => {
    expect(() => eligibilityFailures(facts, options)).toThrow(RangeError);
  });
});
