import { instantProblem, isCalendarDate } from './validation.js';

describe('instantProblem', () => {
  it.each([
    '2026-11-30T10:00:00Z',
    '2026-11-30T10:00Z',
    '2026-07-01T15:30:00.123+01:00',
    '2024-02-29T23:59:59Z',
    '2026-03-29T00:59:59-12:00',
    '2026-03-29T00:00:00+14:00',
  ])('takes %s', (value) => {
    expect(instantProblem(value)).toBeNull();
  });

  it.each([
    ['2026-11-31T10:00:00Z', 'names a day that does not exist (2026-11-31)'],
    ['2025-02-29T10:00:00Z', 'names a day that does not exist (2025-02-29)'],
    ['2026-13-01T10:00:00Z', 'names a day that does not exist (2026-13-01)'],
    ['2026-04-00T10:00:00+01:00', 'names a day that does not exist (2026-04-00)'],
    ['2026-11-30T24:00:00Z', 'names a time that does not exist (24:00:00Z)'],
    ['2026-11-30T10:60Z', 'names a time that does not exist (10:60Z)'],
    ['2026-11-30T10:00:61Z', 'names a time that does not exist (10:00:61Z)'],
    ['2026-11-30T10:00:00+15:00', 'has an offset that does not exist'],
    ['2026-11-30T10:00:00+01:60', 'has an offset that does not exist'],
  ])('refuses %s: %s', (value, reason) => {
    expect(instantProblem(value)).toBe(reason);
  });

  it.each(['2026-11-30', '2026-11-30T10:00:00', '2026-11-30 10:00:00Z', 'yesterday', 20261130, null])(
    'refuses %p as not an instant with its offset',
    (value) => {
      expect(instantProblem(value)).toMatch(/^must be a date and time with its UTC offset/);
    },
  );
});

describe('isCalendarDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2025-02-29', false],
    ['2026-11-31', false],
    ['2026-11-30', true],
    ['2026-1-30', false],
  ])('%s: %s', (value, real) => {
    expect(isCalendarDate(value)).toBe(real);
  });
});
