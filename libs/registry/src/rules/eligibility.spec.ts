import {
  ageBand,
  ageInYears,
  DEFAULT_ELIGIBILITY_OPTIONS,
  eligibilityFailures,
  type EligibilityFacts,
  type EligibilityOptions,
} from './eligibility.js';

const at = (iso: string): Date => new Date(iso);

describe('ageInYears', () => {
  it.each([
    ['2007-06-15', '2025-06-14T23:59:59Z', 17, 'the day before the 18th birthday'],
    ['2007-06-15', '2025-06-15T00:00:00Z', 18, 'on the 18th birthday, at midnight UTC'],
    ['2007-06-15', '2025-06-15T23:59:59Z', 18, 'on the 18th birthday, late'],
    ['2007-06-15', '2025-05-31T12:00:00Z', 17, 'an earlier month'],
    ['2007-06-15', '2025-07-01T12:00:00Z', 18, 'a later month'],
    ['2007-06-15', '2026-06-14T12:00:00Z', 18, 'the day before the 19th birthday'],
    ['1950-01-01', '2025-12-31T12:00:00Z', 75, 'the last day of the year'],
    ['2006-12-31', '2025-01-01T00:00:00Z', 18, 'year boundary'],
    // The UTC calendar date counts: 00:30 on 15 June in London (BST) is still 14 June in UTC.
    ['2007-06-15', '2025-06-14T23:30:00Z', 17, 'the London birthday, still the day before in UTC'],
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
  const operation = '2025-03-10T08:00:00Z';
  const eligible: EligibilityFacts = {
    dateOfBirth: '1965-01-20',
    ecmoStart: at('2025-03-10T14:00:00Z'),
    ecmoMode: 'VA',
    startLocation: 'theatre',
    startedFor: 'failure_to_wean',
    operationDate: at(operation),
    mdtDecisionAt: at('2025-03-10T13:30:00Z'),
  };
  // The same patient treated for post-operative shock in ICU, MDT decision before the start.
  const shock = (ecmoStart: string, changes: Partial<EligibilityFacts> = {}): EligibilityFacts => ({
    ...eligible,
    startLocation: 'icu',
    startedFor: 'post_operative_shock',
    ecmoStart: at(ecmoStart),
    mdtDecisionAt: at(ecmoStart),
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
      {
        ...eligible,
        dateOfBirth: '2004-02-29',
        operationDate: at('2022-02-28T08:00:00Z'),
        ecmoStart: at('2022-02-28T14:00:00Z'),
        mdtDecisionAt: at('2022-02-28T13:00:00Z'),
      },
      ['adult:dateOfBirth'],
    ],
    [
      'born 29 Feb, ECMO on 1 Mar of the non-leap 18th year',
      {
        ...eligible,
        dateOfBirth: '2004-02-29',
        operationDate: at('2022-03-01T08:00:00Z'),
        ecmoStart: at('2022-03-01T14:00:00Z'),
        mdtDecisionAt: at('2022-03-01T13:00:00Z'),
      },
      [],
    ],
    ['born after ECMO start', { ...eligible, dateOfBirth: '2030-01-01' }, ['adult:dateOfBirth']],
    ['a malformed date of birth', { ...eligible, dateOfBirth: '20/01/1965' }, ['adult:dateOfBirth']],
    // va_mode
    ['VV ECMO', { ...eligible, ecmoMode: 'VV' }, ['va_mode:ecmoMode']],
    ['hybrid VAV ECMO', { ...eligible, ecmoMode: 'VAV' }, ['va_mode:ecmoMode']],
    // pccs_timing, failure to wean
    ['failure to wean at the operation instant', { ...eligible, ecmoStart: at(operation) }, []],
    [
      'failure to wean past midnight, 23 h after the operation started',
      { ...eligible, ecmoStart: at('2025-03-11T07:00:00Z') },
      [],
    ],
    [
      'failure to wean exactly 24 h after the operation',
      { ...eligible, ecmoStart: at('2025-03-11T08:00:00Z') },
      [],
    ],
    [
      'failure to wean 24 h and 1 minute after the operation',
      { ...eligible, ecmoStart: at('2025-03-11T08:01:00Z'), mdtDecisionAt: at('2025-03-11T08:00:00Z') },
      ['pccs_timing:ecmoStart'],
    ],
    [
      'failure to wean a minute before the operation',
      { ...eligible, ecmoStart: at('2025-03-10T07:59:00Z'), mdtDecisionAt: at('2025-03-10T07:00:00Z') },
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
    // pccs_timing, post-operative shock
    ['shock in ICU 3 days after the operation', shock('2025-03-13T08:00:00Z'), []],
    [
      'shock in theatre (re-exploration) the next day',
      shock('2025-03-11T10:00:00Z', { startLocation: 'theatre' }),
      [],
    ],
    ['shock started elsewhere (ward)', shock('2025-03-12T10:00:00Z', { startLocation: 'elsewhere' }), []],
    ['shock one millisecond after the operation', shock('2025-03-10T08:00:00.001Z'), []],
    ['shock exactly 7 days after the operation', shock('2025-03-17T08:00:00Z'), []],
    [
      'shock 7 days and 1 second after the operation',
      shock('2025-03-17T08:00:01Z'),
      ['pccs_timing:ecmoStart'],
    ],
    ['shock at the operation instant', shock(operation), ['pccs_timing:ecmoStart']],
    ['shock the day before the operation', shock('2025-03-09T08:00:00Z'), ['pccs_timing:ecmoStart']],
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
      'shock in theatre is not an emergency start: MDT decision 1 h after',
      shock('2025-03-12T08:00:00Z', { startLocation: 'theatre', mdtDecisionAt: at('2025-03-12T09:00:00Z') }),
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
    [
      'shock on day 3 with a 2-day limit',
      shock('2025-03-13T08:00:00Z'),
      { pccsLimitDays: 2 },
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

  it.each<[string, EligibilityFacts, Partial<EligibilityOptions>]>([
    ['an invalid ECMO start', { ...eligible, ecmoStart: new Date(Number.NaN) }, {}],
    ['an invalid operation date', { ...eligible, operationDate: new Date('not a date') }, {}],
    ['an invalid MDT decision instant', { ...eligible, mdtDecisionAt: new Date(Number.NaN) }, {}],
    ['a negative limit', eligible, { pccsLimitDays: -1 }],
    ['an infinite grace', eligible, { mdtEmergencyGraceHours: Number.POSITIVE_INFINITY }],
  ])('throws on %s', (_, facts, options) => {
    expect(() => eligibilityFailures(facts, options)).toThrow(RangeError);
  });
});
