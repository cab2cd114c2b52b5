import {
  daysSinceDecannulation,
  ecmoDurationHours,
  END_REASONS,
  type EndReason,
  successfulWeaning,
  successfulWeaningAtDischarge,
  survivedEcmo,
  survivedToDischarge,
} from './derived.js';

const at = (iso: string): Date => new Date(iso);
const NOW = at('2025-06-01T12:00:00Z');

describe('ecmoDurationHours', () => {
  it.each<[string, string, string | null, string, number]>([
    ['a closed run of 3 days', '2025-05-01T08:00:00Z', '2025-05-04T08:00:00Z', NOW.toISOString(), 72],
    [
      'a closed run ignores now',
      '2025-05-01T08:00:00Z',
      '2025-05-01T20:30:00Z',
      '2030-01-01T00:00:00Z',
      12.5,
    ],
    ['an open run counts to now', '2025-06-01T00:00:00Z', null, '2025-06-01T12:00:00Z', 12],
    ['an open run started now', '2025-06-01T12:00:00Z', null, '2025-06-01T12:00:00Z', 0],
    ['a zero-length run', '2025-05-01T08:00:00Z', '2025-05-01T08:00:00Z', NOW.toISOString(), 0],
    ['rounds 1 h 2 min 59 s down', '2025-05-01T08:00:00Z', '2025-05-01T09:02:59Z', NOW.toISOString(), 1],
    [
      'rounds 1 h 3 min (1.05 h) half up',
      '2025-05-01T08:00:00Z',
      '2025-05-01T09:03:00Z',
      NOW.toISOString(),
      1.1,
    ],
    [
      'rounds 1 h 8 min 59 s (1.1497 h) down',
      '2025-05-01T08:00:00Z',
      '2025-05-01T09:08:59Z',
      NOW.toISOString(),
      1.1,
    ],
    [
      'rounds 1 h 9 min (1.15 h) half up',
      '2025-05-01T08:00:00Z',
      '2025-05-01T09:09:00Z',
      NOW.toISOString(),
      1.2,
    ],
    // London springs forward at 01:00 UTC on 30 March 2025 and falls back at 01:00 UTC on 26 October 2025:
    // the wall clock gains or loses an hour, elapsed UTC time does not.
    ['across the spring DST change', '2025-03-30T00:30:00Z', '2025-03-30T02:30:00Z', NOW.toISOString(), 2],
    ['across the autumn DST change', '2025-10-26T00:30:00Z', '2025-10-26T02:30:00Z', NOW.toISOString(), 2],
    [
      'a 14-day run across the spring change',
      '2025-03-23T12:00:00Z',
      '2025-04-06T12:00:00Z',
      NOW.toISOString(),
      336,
    ],
  ])('%s: %s → %s = %d h', (_, start, end, now, expected) => {
    expect(ecmoDurationHours(at(start), end === null ? null : at(end), at(now))).toBe(expected);
  });

  it.each<[string, Date, Date | null, Date]>([
    ['an end before the start', at('2025-05-02T00:00:00Z'), at('2025-05-01T00:00:00Z'), NOW],
    ['an open run starting after now', at('2025-06-02T00:00:00Z'), null, NOW],
    ['an invalid start', new Date(Number.NaN), null, NOW],
    ['an invalid end', NOW, new Date(Number.NaN), NOW],
  ])('throws on %s', (_, start, end, now) => {
    expect(() => ecmoDurationHours(start, end, now)).toThrow(RangeError);
  });
});

describe('survivedEcmo', () => {
  it.each<[EndReason | null, boolean | null]>([
    [null, null],
    ['weaned', true],
    ['bridged_vad', true],
    ['bridged_transplant', true],
    ['transferred_on_ecmo', true],
    ['died_on_ecmo', false],
    ['withdrawn_futility', false],
  ])('%s → %s', (endReason, expected) => {
    expect(survivedEcmo({ endReason })).toBe(expected);
  });

  it('covers every end reason', () => {
    expect(END_REASONS.every((endReason) => survivedEcmo({ endReason }) !== null)).toBe(true);
    expect(END_REASONS).toHaveLength(6);
  });
});

describe('successfulWeaning', () => {
  const end = '2025-05-10T10:00:00Z';
  const weaned = { end: at(end), endReason: 'weaned' as const };

  it.each<
    [
      string,
      { end: Date | null; endReason: EndReason | null },
      string | null,
      24 | 48,
      string,
      boolean | null,
    ]
  >([
    ['an open run', { end: null, endReason: null }, null, 24, '2025-05-20T00:00:00Z', null],
    ['weaned, alive, 23 h 59 min later', weaned, null, 24, '2025-05-11T09:59:00Z', null],
    ['weaned, alive, exactly 24 h later', weaned, null, 24, '2025-05-11T10:00:00Z', true],
    ['weaned, alive, 25 h later', weaned, null, 24, '2025-05-11T11:00:00Z', true],
    ['weaned, alive, 25 h later, 48 h asked', weaned, null, 48, '2025-05-11T11:00:00Z', null],
    ['weaned, alive, exactly 48 h later', weaned, null, 48, '2025-05-12T10:00:00Z', true],
    ['weaned, alive, at decannulation', weaned, null, 24, end, null],
    ['weaned, died 2 h later', weaned, '2025-05-10T12:00:00Z', 24, '2025-05-10T13:00:00Z', false],
    [
      'weaned, died 23 h later, judged weeks later',
      weaned,
      '2025-05-11T09:00:00Z',
      24,
      '2025-06-01T00:00:00Z',
      false,
    ],
    ['weaned, died exactly 24 h later', weaned, '2025-05-11T10:00:00Z', 24, '2025-06-01T00:00:00Z', false],
    ['weaned, died 24 h and 1 s later', weaned, '2025-05-11T10:00:01Z', 24, '2025-06-01T00:00:00Z', true],
    ['weaned, died 30 h later, 24 h asked', weaned, '2025-05-11T16:00:00Z', 24, '2025-06-01T00:00:00Z', true],
    [
      'weaned, died 30 h later, 48 h asked',
      weaned,
      '2025-05-11T16:00:00Z',
      48,
      '2025-06-01T00:00:00Z',
      false,
    ],
    ['weaned, died at decannulation', weaned, end, 24, '2025-06-01T00:00:00Z', false],
    // 00:30 UTC on 30 March 2025 is 00:30 GMT; the clocks then spring forward: 24 h later is 01:30 BST on 31 March.
    [
      'across the spring DST change, exactly 24 h',
      { end: at('2025-03-30T00:30:00Z'), endReason: 'weaned' },
      null,
      24,
      '2025-03-31T00:30:00Z',
      true,
    ],
    [
      'across the autumn DST change, 1 min short of 24 h',
      { end: at('2025-10-26T00:30:00Z'), endReason: 'weaned' },
      null,
      24,
      '2025-10-27T00:29:00Z',
      null,
    ],
    [
      'bridged to VAD, alive',
      { end: at(end), endReason: 'bridged_vad' },
      null,
      24,
      '2025-06-01T00:00:00Z',
      false,
    ],
    [
      'bridged to transplant, before 24 h',
      { end: at(end), endReason: 'bridged_transplant' },
      null,
      24,
      '2025-05-10T11:00:00Z',
      false,
    ],
    [
      'transferred on ECMO',
      { end: at(end), endReason: 'transferred_on_ecmo' },
      null,
      48,
      '2025-06-01T00:00:00Z',
      false,
    ],
    ['died on ECMO', { end: at(end), endReason: 'died_on_ecmo' }, end, 24, '2025-06-01T00:00:00Z', false],
    [
      'care withdrawn',
      { end: at(end), endReason: 'withdrawn_futility' },
      '2025-05-10T11:00:00Z',
      24,
      '2025-06-01T00:00:00Z',
      false,
    ],
    [
      'weaned without an end instant',
      { end: null, endReason: 'weaned' },
      null,
      24,
      '2025-06-01T00:00:00Z',
      null,
    ],
  ])('%s → %s', (_, run, death, hours, now, expected) => {
    expect(successfulWeaning(run, death === null ? null : at(death), hours, at(now))).toBe(expected);
  });
});

describe('successfulWeaningAtDischarge', () => {
  it.each<[EndReason | null, boolean | null, boolean | null]>([
    [null, null, null],
    [null, true, null],
    ['weaned', true, true],
    ['weaned', false, false],
    ['weaned', null, null],
    ['bridged_vad', true, false],
    ['bridged_transplant', true, false],
    ['transferred_on_ecmo', null, false],
    ['died_on_ecmo', false, false],
    ['withdrawn_futility', false, false],
  ])('ended %s, alive at discharge %s → %s', (endReason, aliveAtDischarge, expected) => {
    expect(successfulWeaningAtDischarge(endReason, aliveAtDischarge)).toBe(expected);
  });
});

describe('daysSinceDecannulation', () => {
  it.each<[string | null, string, number | null]>([
    [null, '2025-06-01T12:00:00Z', null],
    ['2025-06-01T12:00:00Z', '2025-06-01T12:00:00Z', 0],
    ['2025-06-01T12:00:00Z', '2025-06-02T11:59:59Z', 0],
    ['2025-06-01T12:00:00Z', '2025-06-02T12:00:00Z', 1],
    ['2025-05-02T12:00:00Z', '2025-06-01T12:00:00Z', 30],
    ['2025-05-02T12:00:01Z', '2025-06-01T12:00:00Z', 29],
    // A whole day is 24 elapsed hours, also on the 23-hour and 25-hour local days of the DST changes.
    ['2025-03-29T12:00:00Z', '2025-03-31T11:00:00Z', 1],
    ['2025-03-29T12:00:00Z', '2025-03-31T12:00:00Z', 2],
    ['2025-10-25T12:00:00Z', '2025-10-27T11:59:59Z', 1],
    ['2024-06-01T12:00:00Z', '2025-06-01T12:00:00Z', 365],
  ])('decannulated %s, now %s → %s', (end, now, expected) => {
    expect(daysSinceDecannulation(end === null ? null : at(end), at(now))).toBe(expected);
  });

  it('throws when decannulation is after now', () => {
    expect(() => daysSinceDecannulation(at('2025-06-01T12:00:01Z'), at('2025-06-01T12:00:00Z'))).toThrow(
      RangeError,
    );
  });
});

describe('survivedToDischarge', () => {
  it.each<[{ kind: 'discharge' | 'death' } | null, boolean | null]>([
    [null, null],
    [{ kind: 'discharge' }, true],
    [{ kind: 'death' }, false],
  ])('%j → %s', (outcome, expected) => {
    expect(survivedToDischarge(outcome)).toBe(expected);
  });
});
