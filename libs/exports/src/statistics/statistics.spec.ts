import { atRiskAt, kaplanMeier, medianIqr, poissonRate, quantile, survivalAt, wilson } from './index.js';

const round4 = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);

describe('wilson: the check values of the domain guide (§5), to 4 decimal places', () => {
  it.each([
    [12, 30, 0.2459, 0.5768],
    [0, 10, 0.0, 0.2775],
    [39, 100, 0.3002, 0.488],
    [1, 5, 0.0362, 0.6245],
  ])('%i/%i → %f–%f', (x, n, lower, upper) => {
    const p = wilson(x, n);
    expect([round4(p.lower), round4(p.upper)]).toEqual([lower, upper]);
    expect(p.estimate).toBeCloseTo(x / n, 12);
  });

  it('is [0, 1]-bounded at both ends and empty without a denominator', () => {
    expect(wilson(10, 10)).toMatchObject({ estimate: 1, upper: 1 });
    expect(wilson(0, 0)).toEqual({ numerator: 0, denominator: 0, estimate: null, lower: null, upper: null });
  });

  it.each([
    [-1, 5],
    [6, 5],
    [1.5, 5],
  ])('refuses %p/%p', (x, n) => {
    expect(() => wilson(x, n)).toThrow(RangeError);
  });
});

describe('kaplanMeier: R survival, aml "Maintained" arm, log-log intervals (domain guide §5)', () => {
  // 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+ (+ censored)
  const aml = [
    [9, true],
    [13, true],
    [13, false],
    [18, true],
    [23, true],
    [28, false],
    [31, true],
    [34, true],
    [45, false],
    [48, true],
    [161, false],
  ].map(([time, event]) => ({ time: time as number, event: event as boolean }));
  const curve = kaplanMeier(aml);

  it.each([
    // time, n at risk, survival, lower, upper, Greenwood standard error (summary.survfit's std.err)
    [9, 11, 0.9091, 0.5081, 0.9867, 0.0867],
    [13, 10, 0.8182, 0.4474, 0.9512, 0.1163],
    [18, 8, 0.7159, 0.3502, 0.899, 0.1397],
    [23, 7, 0.6136, 0.2658, 0.8353, 0.1526],
    [31, 5, 0.4909, 0.1673, 0.7534, 0.1642],
    [34, 4, 0.3682, 0.0928, 0.657, 0.1627],
    [48, 2, 0.1841, 0.0117, 0.525, 0.1535],
  ])('t %i: at risk %i, S %f (%f–%f), se %f', (time, atRisk, survival, lower, upper, se) => {
    const step = curve.steps.find((s) => s.time === time)!;
    expect(step.atRisk).toBe(atRisk);
    expect([round4(step.survival), round4(step.lower), round4(step.upper)]).toEqual([survival, lower, upper]);
    expect(round4(step.standardError)).toBe(se);
  });

  it('counts subjects and events, and steps only at events', () => {
    expect(curve).toMatchObject({ n: 11, events: 7 });
    expect(survivalAt(curve, 8.99)).toEqual({ survival: 1, lower: null, upper: null });
    expect(round4(survivalAt(curve, 30).survival)).toBe(0.6136);
    expect(round4(survivalAt(curve, 161).survival)).toBe(0.1841);
    expect([0, 13, 14, 48, 162].map((t) => atRiskAt(aml, t))).toEqual([11, 10, 8, 2, 0]);
  });

  it('has no interval once everyone has had the event, and none at survival 1', () => {
    const all = kaplanMeier([
      { time: 1, event: false },
      { time: 2, event: true },
      { time: 3, event: true },
    ]);
    expect(all.steps.map((s) => [s.time, s.survival, s.lower])).toEqual([
      [1, 1, null],
      [2, 0.5, expect.any(Number)],
      [3, 0, null],
    ]);
    expect(kaplanMeier([])).toEqual({ n: 0, events: 0, steps: [] });
  });
});

describe('poissonRate: exact interval, R poisson.test(x, T) to 4 decimal places', () => {
  it.each([
    [0, 1, 0, 0, 3.6889],
    [3, 1, 3, 0.6187, 8.7673],
    [10, 1, 10, 4.7954, 18.3904],
  ])('%i events in %f → %f (%f–%f)', (events, exposure, rate, lower, upper) => {
    const r = poissonRate(events, exposure);
    expect([round4(r.rate), round4(r.lower), round4(r.upper)]).toEqual([rate, lower, upper]);
  });

  it('scales to events per 1,000 ECMO days (the R interval of 3 events ÷ 1.5)', () => {
    const r = poissonRate(3, 1500, 1000);
    expect([round4(r.rate), round4(r.lower), round4(r.upper)]).toEqual([2, 0.4124, 5.8448]);
    expect(poissonRate(2, 0, 1000)).toMatchObject({ rate: null, lower: null, upper: null });
  });
});

describe('quantile and medianIqr: R quantile(type = 7)', () => {
  it('matches R on the aml times', () => {
    const times = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161];
    expect(medianIqr(times)).toEqual({ n: 11, median: 28, q1: 15.5, q3: 39.5 });
  });

  it.each([
    [[1, 2, 3, 4], 0.25, 1.75],
    [[4, 1, 3, 2], 0.5, 2.5],
    [[1, 2, 3, 4], 1, 4],
    [[7], 0.75, 7],
  ])('%p at %f → %f', (values, p, expected) => {
    expect(quantile(values, p)).toBe(expected);
  });

  it('has no median of nothing', () => {
    expect(medianIqr([])).toEqual({ n: 0, median: null, q1: null, q3: null });
  });
});
