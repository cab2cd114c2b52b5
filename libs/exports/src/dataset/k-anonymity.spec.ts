import {
  ageAt,
  chooseGeneralisation,
  dateAt,
  difference,
  hoursAt,
  rareValues,
  smallestGroup,
  type Place,
  type QuasiRecord,
} from './k-anonymity.js';

const places = new Map<string, Place>([
  ['AAA', { code: 'site-aaaaaaaaaa', region: 'london' }],
  ['BBB', { code: 'site-bbbbbbbbbb', region: 'london' }],
]);

function record(site: string, age: number, sex: string, hours: number, stayDays: number): QuasiRecord {
  const started = '2026-03-10T14:00:00Z';
  const ended = new Date(Date.parse(started) + hours * 3_600_000).toISOString().slice(0, 19) + 'Z';
  const outcomeAt = new Date(Date.parse(started) + stayDays * 86_400_000).toISOString().slice(0, 19) + 'Z';
  return {
    site,
    enrolmentSite: site,
    age: String(age),
    sex,
    runs: [{ started, ended, hours: hours.toFixed(1) }],
    outcomeAt,
  };
}

describe('k-anonymity levels', () => {
  it('bands ages, hours and dates as the dictionary says', () => {
    expect([ageAt('64', 0), ageAt('64', 1), ageAt('64', 2), ageAt('64', 3)]).toEqual([
      '64',
      '60-69',
      '50-69',
      '18+',
    ]);
    expect([ageAt('19', 1), ageAt('85', 1), ageAt('49', 2), ageAt('70', 2)]).toEqual([
      '18-29',
      '80+',
      '18-49',
      '70+',
    ]);
    expect([hoursAt('100.5', 1), hoursAt('23.9', 1), hoursAt('400', 2), hoursAt('5', 3)]).toEqual([
      '72-167',
      '<24',
      '168+',
      'not_released',
    ]);
    expect([1, 2, 3].map((l) => dateAt('2026-03-10T14:00:00Z', l))).toEqual([
      '2026-03-10',
      '2026-03',
      '2026',
    ]);
  });

  it('computes a duration in the unit of the precision shown', () => {
    expect(difference('2026-03-10T14:00:00Z', '2026-03-11T15:00:00Z')).toBe('90000');
    expect(difference('2026-03-10', '2026-04-02')).toBe('23');
    expect(difference('2026-03', '2026-04')).toBe('1');
    expect(difference('2026', '2026')).toBe('0');
    expect(difference('', '2026')).toBe('');
  });
});

describe('chooseGeneralisation', () => {
  it('keeps everything exact when k = 1', () => {
    const records = [record('AAA', 64, 'female', 100, 20)];
    expect(chooseGeneralisation(records, 1, places)).toEqual({
      generalisation: { place: 0, age: 0, sex: 0, duration: 0, dates: 0 },
      smallest: 1,
      localAge: new Set(),
    });
  });

  it('generalises the least it must: two sites of one region, ages in one band, stays in one month', () => {
    const records = [
      record('AAA', 61, 'female', 100, 20),
      record('AAA', 63, 'female', 110, 21),
      record('BBB', 65, 'female', 120, 22),
      record('BBB', 67, 'female', 130, 23),
    ];
    const chosen = chooseGeneralisation(records, 4, places)!;
    expect(chosen.smallest).toBeGreaterThanOrEqual(4);
    expect(smallestGroup(records, chosen.generalisation, places)).toBe(4);
    expect(chosen.generalisation.place).toBe(1);
    expect(chosen.generalisation.age).toBe(1);
    expect(chosen.generalisation.sex).toBe(0);
  });

  it('shows 18+ for the few patients whose age band is rare, rather than for everyone', () => {
    // 400 patients of one region, sex and stay: 395 in their sixties; 2 in their twenties, 2 in their
    // thirties, 1 in their forties (each band fewer than 5, together 5).
    const records = [
      ...Array.from({ length: 395 }, (_, i) =>
        record(i % 2 ? 'AAA' : 'BBB', 60 + (i % 10), 'female', 100, 20),
      ),
      ...[22, 25, 33, 36, 41].map((age) => record('AAA', age, 'female', 100, 20)),
    ];
    const chosen = chooseGeneralisation(records, 5, places)!;
    // Everyone else keeps their age in years.
    expect(chosen.generalisation).toEqual({ place: 0, age: 0, sex: 0, duration: 0, dates: 0 });
    expect([...chosen.localAge].sort((a, b) => a - b)).toEqual([395, 396, 397, 398, 399]);
    expect(smallestGroup(records, chosen.generalisation, places, chosen.localAge)).toBe(5);
  });

  it('refuses (null) when there are fewer patients than k', () => {
    const records = [record('AAA', 61, 'female', 100, 20), record('BBB', 70, 'male', 10, 5)];
    expect(chooseGeneralisation(records, 3, places)).toBeNull();
  });
});

describe('rareValues', () => {
  const holders = (counts: Record<string, string[]>) =>
    new Map(Object.entries(counts).map(([v, who]) => [v, new Set(who)]));

  it('recodes values held by fewer than k, then the rarest others until other pools k', () => {
    const rare = rareValues(
      holders({
        common: ['a', 'b', 'c', 'd', 'e', 'f'],
        once: ['a'],
        twice: ['b', 'c'],
        thrice: ['d', 'e', 'f'],
      }),
      3,
    );
    expect([...rare].sort()).toEqual(['once', 'twice']);
  });

  it('adds the next rarest value when the rare ones pool fewer than k', () => {
    const rare = rareValues(
      holders({ common: ['a', 'b', 'c', 'd'], rarer: ['e', 'f', 'g'], once: ['h'] }),
      3,
    );
    expect([...rare].sort()).toEqual(['once', 'rarer']);
  });

  it('recodes nothing where every value is held by k', () => {
    expect(rareValues(holders({ x: ['a', 'b'], y: ['c', 'd'] }), 2).size).toBe(0);
  });
});
