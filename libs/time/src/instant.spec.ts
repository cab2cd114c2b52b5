import fc from 'fast-check';
import { londonCalendarDate, londonDay } from './instant.js';

/** What the date is, asked of Intl afresh each time (no memo). */
function fresh(instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

describe('London calendar dates (memoised per instant)', () => {
  it('reads the date in London around the clock changes', () => {
    expect(londonDay(new Date('2026-10-24T23:30:00Z'))).toBe('2026-10-25'); // 00:30 BST
    expect(londonDay(new Date('2026-10-25T23:30:00Z'))).toBe('2026-10-25'); // 23:30 GMT
    expect(londonDay(new Date('2026-03-29T00:30:00Z'))).toBe('2026-03-29'); // 00:30 GMT
    expect(londonDay(new Date('2026-03-28T23:30:00Z'))).toBe('2026-03-28'); // 23:30 GMT
  });

  it('answers as Intl does, the first time and from the memo, whatever Date object carries the instant', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2100-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (instant) => {
          const expected = fresh(instant);
          expect(londonDay(instant)).toBe(expected);
          expect(londonDay(new Date(instant.getTime()))).toBe(expected);
          const { year, month, day } = londonCalendarDate(new Date(instant.getTime()));
          expect([year, month, day]).toEqual(expected.split('-').map(Number));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hands out dates no caller can alter for the next one', () => {
    const date = londonCalendarDate(new Date('2026-07-01T12:00:00Z'));
    expect(() => {
      (date as { day: number }).day = 2;
    }).toThrow(TypeError);
    expect(londonDay(new Date('2026-07-01T12:00:00Z'))).toBe('2026-07-01');
  });

  it('refuses an invalid instant', () => {
    expect(() => londonDay(new Date('nonsense'))).toThrow(RangeError);
  });
});
