import {
  addCalendarDays,
  localWallClock,
  REGISTRY_TIME_ZONE,
  reminderInstant,
  resolveLocalTime,
} from './index.js';

// 2026's changes in Europe/London: forward on Sunday 29 March at 01:00 GMT, back on Sunday 25 October at
// 01:00 GMT (02:00 BST). 2027's: 28 March and 31 October.

describe('resolveLocalTime', () => {
  it('defaults to the registry zone', () => {
    expect(REGISTRY_TIME_ZONE).toBe('Europe/London');
  });

  it.each([
    // Ordinary days: GMT in winter, BST in summer.
    ['2026-01-15', '10:30', '2026-01-15T10:30:00.000Z'],
    ['2026-07-15', '10:30', '2026-07-15T09:30:00.000Z'],
    // Around spring forward 2026.
    ['2026-03-28', '09:00', '2026-03-28T09:00:00.000Z'],
    ['2026-03-29', '00:00', '2026-03-29T00:00:00.000Z'],
    ['2026-03-29', '00:59', '2026-03-29T00:59:00.000Z'],
    ['2026-03-29', '02:00', '2026-03-29T01:00:00.000Z'],
    ['2026-03-29', '23:59', '2026-03-29T22:59:00.000Z'],
    ['2026-03-30', '09:00', '2026-03-30T08:00:00.000Z'],
    // Around fall back 2026.
    ['2026-10-24', '09:00', '2026-10-24T08:00:00.000Z'],
    ['2026-10-25', '00:00', '2026-10-24T23:00:00.000Z'],
    ['2026-10-25', '00:59', '2026-10-24T23:59:00.000Z'],
    ['2026-10-25', '02:00', '2026-10-25T02:00:00.000Z'],
    ['2026-10-25', '23:59', '2026-10-25T23:59:00.000Z'],
    ['2026-10-26', '09:00', '2026-10-26T09:00:00.000Z'],
    // 2027's change days.
    ['2027-03-28', '02:00', '2027-03-28T01:00:00.000Z'],
    ['2027-10-31', '02:00', '2027-10-31T02:00:00.000Z'],
    // Leap day, and the turn of the year.
    ['2028-02-29', '09:00', '2028-02-29T09:00:00.000Z'],
    ['2026-12-31', '23:59', '2026-12-31T23:59:00.000Z'],
    ['2027-01-01', '00:00', '2027-01-01T00:00:00.000Z'],
  ])('%s %s local is %s', (date, time, expected) => {
    expect(resolveLocalTime(date, time)).toEqual({ ok: true, instant: new Date(expected) });
  });

  it.each([
    ['2026-03-29', '01:00', '2026-03-29'],
    ['2026-03-29', '01:30', '2026-03-29'],
    ['2026-03-29', '01:59', '2026-03-29'],
    ['2027-03-28', '01:30', '2027-03-28'],
  ])('%s %s does not exist (spring forward) and is refused', (date, time, day) => {
    expect(resolveLocalTime(date, time)).toEqual({
      ok: false,
      problem: 'nonexistent',
      reason: `${time} does not exist on ${day}: clocks go forward from 01:00 to 02:00 in Europe/London; choose 02:00 or later`,
    });
  });

  it.each([
    ['2026-10-25', '01:00', '2026-10-25T00:00Z', '2026-10-25T01:00Z'],
    ['2026-10-25', '01:30', '2026-10-25T00:30Z', '2026-10-25T01:30Z'],
    ['2026-10-25', '01:59', '2026-10-25T00:59Z', '2026-10-25T01:59Z'],
    ['2027-10-31', '01:30', '2027-10-31T00:30Z', '2027-10-31T01:30Z'],
  ])('%s %s happens twice (fall back) and is refused, naming %s BST and %s GMT', (date, time, bst, gmt) => {
    const result = resolveLocalTime(date, time);
    expect(result).toEqual({ ok: false, problem: 'ambiguous', reason: expect.any(String) });
    const { reason } = result as { reason: string };
    expect(reason).toContain(`${time} BST (${bst})`);
    expect(reason).toContain(`${time} GMT (${gmt})`);
    expect(reason).toContain('choose a time outside 01:00–01:59');
  });

  it.each([
    ['2027-02-29', '09:00'],
    ['2026-13-01', '09:00'],
    ['2026-00-10', '09:00'],
    ['2026-04-31', '09:00'],
    ['2026-4-01', '09:00'],
    ['26-04-01', '09:00'],
    ['2026-04-01T09:00', '09:00'],
    ['0000-01-01', '09:00'],
    ['', '09:00'],
    ['2026-04-01', '24:00'],
    ['2026-04-01', '9:00'],
    ['2026-04-01', '09:60'],
    ['2026-04-01', '09:00:00'],
    ['2026-04-01', ' 09:00'],
    ['2026-04-01', ''],
  ])('%j %j is malformed: RangeError', (date, time) => {
    expect(() => resolveLocalTime(date, time)).toThrow(RangeError);
  });

  it('resolves in another zone when asked', () => {
    expect(resolveLocalTime('2026-07-15', '10:30', 'America/New_York')).toEqual({
      ok: true,
      instant: new Date('2026-07-15T14:30:00.000Z'),
    });
    expect(resolveLocalTime('2026-03-08', '02:30', 'America/New_York')).toMatchObject({
      ok: false,
      problem: 'nonexistent',
    });
  });
});

describe('localWallClock', () => {
  it.each([
    ['2026-01-15T10:30:00.000Z', '2026-01-15', '10:30'],
    ['2026-07-15T09:30:00.000Z', '2026-07-15', '10:30'],
    ['2026-03-29T00:59:59.999Z', '2026-03-29', '00:59'],
    ['2026-03-29T01:00:00.000Z', '2026-03-29', '02:00'],
    ['2026-10-24T23:30:00.000Z', '2026-10-25', '00:30'],
    ['2026-10-25T00:30:00.000Z', '2026-10-25', '01:30'],
    ['2026-10-25T01:30:00.000Z', '2026-10-25', '01:30'],
    ['2026-10-25T02:00:00.000Z', '2026-10-25', '02:00'],
    ['2026-06-30T23:00:00.000Z', '2026-07-01', '00:00'],
  ])('%s is %s %s in London', (instant, date, time) => {
    expect(localWallClock(new Date(instant))).toEqual({ date, time });
  });

  it('refuses an invalid Date', () => {
    expect(() => localWallClock(new Date(NaN))).toThrow(RangeError);
  });

  // Every quarter hour of the days either side of and on both 2026 change days.
  const quarterHours = Array.from({ length: 96 }, (_, i) => {
    const minutes = i * 15;
    return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  });
  it.each(['2026-03-28', '2026-03-29', '2026-03-30', '2026-10-24', '2026-10-25', '2026-10-26'])(
    'round-trips resolveLocalTime every 15 minutes on %s',
    (date) => {
      let resolved = 0;
      let previous = -Infinity;
      for (const time of quarterHours) {
        const result = resolveLocalTime(date, time);
        if (!result.ok) continue;
        expect(localWallClock(result.instant)).toEqual({ date, time });
        // Later wall-clock times are later instants: no hour is counted twice or skipped silently.
        expect(result.instant.getTime()).toBeGreaterThan(previous);
        previous = result.instant.getTime();
        resolved++;
      }
      // Only the four quarter hours of 01:00–01:59 are refused on a change day.
      expect(resolved).toBe(date === '2026-03-29' || date === '2026-10-25' ? 92 : 96);
    },
  );
});

describe('addCalendarDays', () => {
  it.each([
    ['2026-04-04', -7, '2026-03-28'],
    ['2026-03-28', 1, '2026-03-29'],
    ['2026-03-29', 1, '2026-03-30'],
    ['2026-10-25', 7, '2026-11-01'],
    ['2026-11-01', -7, '2026-10-25'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2027-02-28', 1, '2027-03-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-05-10', 0, '2026-05-10'],
    ['2026-01-01', 365, '2027-01-01'],
  ])('%s %+i days is %s', (date, days, expected) => {
    expect(addCalendarDays(date, days)).toBe(expected);
  });

  it.each([
    ['2027-02-29', 1],
    ['2026-04-01', 1.5],
    ['2026-04-01', NaN],
    ['9999-12-31', 1],
  ])('%s %p is refused: RangeError', (date, days) => {
    expect(() => addCalendarDays(date, days)).toThrow(RangeError);
  });
});

describe('reminderInstant', () => {
  it.each([
    // Seven days before falls on the last GMT Saturday.
    ['2026-04-04', 7, '09:00', '2026-03-28T09:00:00.000Z'],
    // The day before falls on the spring-forward Sunday, after the change: 09:00 BST.
    ['2026-03-30', 1, '09:00', '2026-03-29T08:00:00.000Z'],
    // Seven days before falls on the fall-back Sunday, after the change: 09:00 GMT.
    ['2026-11-01', 7, '09:00', '2026-10-25T09:00:00.000Z'],
    ['2026-10-26', 1, '09:00', '2026-10-25T09:00:00.000Z'],
    ['2026-07-15', 2, '09:00', '2026-07-13T08:00:00.000Z'],
    ['2026-01-15', 0, '18:30', '2026-01-15T18:30:00.000Z'],
    // A time the day lacks moves to the first instant after the gap: 02:00 BST.
    ['2026-03-30', 1, '01:30', '2026-03-29T01:00:00.000Z'],
    ['2026-03-30', 1, '01:00', '2026-03-29T01:00:00.000Z'],
    ['2027-03-29', 1, '01:45', '2027-03-28T01:00:00.000Z'],
    // A time the day has twice takes its first occurrence: BST.
    ['2026-10-26', 1, '01:30', '2026-10-25T00:30:00.000Z'],
    ['2026-10-26', 1, '01:00', '2026-10-25T00:00:00.000Z'],
    ['2027-11-07', 7, '01:30', '2027-10-31T00:30:00.000Z'],
  ])('appointment %s, %i days before at %s local: %s', (appointment, daysBefore, sendAt, expected) => {
    expect(reminderInstant(appointment, daysBefore, sendAt)).toEqual(new Date(expected));
  });

  it('sends at 09:00 by default', () => {
    expect(reminderInstant('2026-04-04', 7)).toEqual(new Date('2026-03-28T09:00:00.000Z'));
  });

  it.each([
    ['2026-04-04', -1, '09:00'],
    ['2026-04-04', 1.5, '09:00'],
    ['2026-02-30', 1, '09:00'],
    ['2026-04-04', 1, '9:00'],
    ['2026-04-04', 1, '24:00'],
  ])('appointment %s, %p days before at %s is refused: RangeError', (appointment, daysBefore, sendAt) => {
    expect(() => reminderInstant(appointment, daysBefore, sendAt)).toThrow(RangeError);
  });
});
