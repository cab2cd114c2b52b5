import { createHmac } from 'node:crypto';
import { Pseudonymiser, shiftDate } from './pseudonym.js';

const KEY = 'k'.repeat(32);
const PATIENT = '6f1c1b7e-3f5d-4a43-9d1e-0d5c2f7f9a10';

describe('Pseudonymiser', () => {
  const pseudonymiser = new Pseudonymiser(KEY, 180);

  it('gives a patient the HMAC-SHA-256 of their id under the key, the same every time', () => {
    const expected = createHmac('sha256', KEY).update(`pseudonym\u0000${PATIENT}`).digest('hex');
    expect(pseudonymiser.pseudonym(PATIENT)).toBe(expected);
    expect(pseudonymiser.pseudonym(PATIENT)).toMatch(/^[0-9a-f]{64}$/);
    expect(new Pseudonymiser(KEY, 30).pseudonym(PATIENT)).toBe(expected);
  });

  it('changes every pseudonym and shift with the key, and tells patients apart', () => {
    const other = new Pseudonymiser('o'.repeat(32), 180);
    expect(other.pseudonym(PATIENT)).not.toBe(pseudonymiser.pseudonym(PATIENT));
    expect(pseudonymiser.pseudonym('another-patient')).not.toBe(pseudonymiser.pseudonym(PATIENT));
  });

  it('shifts each patient by their own non-zero number of days within the bound, both ways', () => {
    const shifts = Array.from({ length: 2000 }, (_, i) => pseudonymiser.shiftDays(`patient-${i}`));
    expect(shifts.every((days) => Number.isInteger(days) && days !== 0 && Math.abs(days) <= 180)).toBe(true);
    expect(shifts.filter((days) => days < 0).length).toBeGreaterThan(800);
    expect(shifts.filter((days) => days > 0).length).toBeGreaterThan(800);
    expect(new Set(shifts).size).toBeGreaterThan(300);
    expect(pseudonymiser.shiftDays(PATIENT)).toBe(pseudonymiser.shiftDays(PATIENT));
  });

  it('refuses a short key or a bound below one day', () => {
    expect(() => new Pseudonymiser('short', 180)).toThrow(RangeError);
    expect(() => new Pseudonymiser(KEY, 0)).toThrow(RangeError);
  });
});

describe('shiftDate', () => {
  it.each([
    ['2026-03-29', 1, '2026-03-30'], // the clock change in London moves no date
    ['2026-01-01', -1, '2025-12-31'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2025-06-15', 180, '2025-12-12'],
    ['2025-06-15', -180, '2024-12-17'],
  ])('%s %+i days → %s', (date, days, expected) => {
    expect(shiftDate(date, days)).toBe(expected);
  });

  it('keeps the days between two events of a patient', () => {
    const days = new Pseudonymiser(KEY, 180).shiftDays(PATIENT);
    const between = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    expect(between(shiftDate('2026-02-01', days), shiftDate('2026-03-03', days))).toBe(30);
  });

  it('refuses what is not a calendar date', () => {
    expect(() => shiftDate('2026-02-30', 1)).toThrow(RangeError);
    expect(() => shiftDate('2026-02-28x', 1)).toThrow(RangeError);
    expect(() => shiftDate('yesterday', 1)).toThrow(RangeError);
  });
});
