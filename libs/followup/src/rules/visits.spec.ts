import { addCalendarDays } from '../../../time/src/index.js';
import {
  DEFAULT_PROTOCOL,
  plannedVisits,
  protocolProblems,
  visitDates,
  visitState,
  type FollowUpEnds,
  type VisitDates,
} from './visits.js';

const NO_END: FollowUpEnds = { deathOn: null, withdrawnOn: null, declined: false, lostOn: null };
const byCode = (code: string) => DEFAULT_PROTOCOL.find((v) => v.code === code)!;

describe('addCalendarDays (visit days)', () => {
  it.each([
    ['2026-01-31', 30, '2026-03-02'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2026-03-29', 0, '2026-03-29'],
    ['2026-10-25', 7, '2026-11-01'],
    ['2026-01-07', -7, '2025-12-31'],
    ['2025-11-24', 365, '2026-11-24'],
  ])('%s + %i days = %s (calendar days, no clock change shifts them)', (date, days, expected) => {
    expect(addCalendarDays(date, days)).toBe(expected);
  });
});

describe('visit dates of the default protocol (domain guide §4)', () => {
  const anchors = { decannulation: '2026-01-10', discharge: '2026-01-25' };
  it.each([
    ['discharge', '2026-01-25', '2026-01-25', '2026-02-08'],
    ['day_30', '2026-02-09', '2026-02-02', '2026-02-23'],
    ['month_3', '2026-04-10', '2026-03-27', '2026-04-24'],
    ['month_6', '2026-07-11', '2026-06-11', '2026-08-10'],
    ['month_12', '2027-01-10', '2026-12-11', '2027-02-09'],
    ['year_2', '2028-01-10', '2027-12-11', '2028-02-09'],
  ])('%s: due %s, window %s to %s', (code, dueOn, opensOn, closesOn) => {
    expect(visitDates(byCode(code), anchors)).toEqual({ dueOn, opensOn, closesOn });
  });

  it('has no dates while the visit’s anchor is unknown', () => {
    expect(visitDates(byCode('discharge'), { decannulation: '2026-01-10', discharge: null })).toEqual({
      dueOn: null,
      opensOn: null,
      closesOn: null,
    });
  });
});

describe('plannedVisits', () => {
  it('plans nothing until an anchor is known', () => {
    expect(plannedVisits(DEFAULT_PROTOCOL, { decannulation: null, discharge: null }, false)).toEqual([]);
  });

  it('plans the five required visits at decannulation, the discharge one still undated', () => {
    const planned = plannedVisits(DEFAULT_PROTOCOL, { decannulation: '2026-01-10', discharge: null }, false);
    expect(planned.map((v) => v.code)).toEqual(['discharge', 'day_30', 'month_3', 'month_6', 'month_12']);
  });

  it('adds the optional yearly visits on extended follow-up', () => {
    const planned = plannedVisits(DEFAULT_PROTOCOL, { decannulation: '2026-01-10', discharge: null }, true);
    expect(planned.map((v) => v.code).slice(5)).toEqual(['year_2', 'year_3', 'year_4', 'year_5']);
  });
});

describe('protocolProblems', () => {
  it('accepts the default protocol', () => {
    expect(protocolProblems(DEFAULT_PROTOCOL)).toEqual([]);
  });

  it('refuses an empty protocol, a repeated code and a window opening before the anchor', () => {
    expect(protocolProblems([])).toEqual([{ field: 'visits', reason: 'a protocol has at least one visit' }]);
    expect(
      protocolProblems([byCode('day_30'), { ...byCode('day_30'), offsetDays: 5, windowBeforeDays: 6 }]),
    ).toEqual([
      { field: 'visits.1.code', reason: 'day_30 appears twice' },
      { field: 'visits.1.windowBeforeDays', reason: 'the window would open before the anchor' },
    ]);
  });
});

describe('visitState', () => {
  const day30: VisitDates = { dueOn: '2026-02-09', opensOn: '2026-02-02', closesOn: '2026-02-23' };
  const undated: VisitDates = { dueOn: null, opensOn: null, closesOn: null };
  const open = { completed: false, booked: false };

  it.each<[string, VisitDates, Partial<typeof open>, Partial<FollowUpEnds>, string, string, string | null]>([
    ['before the window', day30, {}, {}, '2026-02-01', 'scheduled', null],
    ['on the day the window opens', day30, {}, {}, '2026-02-02', 'due', null],
    ['booked inside the window', day30, { booked: true }, {}, '2026-02-10', 'booked', null],
    ['on the last day of the window', day30, {}, {}, '2026-02-23', 'due', null],
    ['after the window closed', day30, {}, {}, '2026-02-24', 'missed', null],
    [
      'booked, and the window closed (the clinic slipped)',
      day30,
      { booked: true },
      {},
      '2026-02-24',
      'booked',
      null,
    ],
    [
      'completed, even after a death',
      day30,
      { completed: true },
      { deathOn: '2026-02-20' },
      '2026-03-01',
      'completed',
      null,
    ],
    ['undated (anchor unknown)', undated, {}, {}, '2026-02-10', 'scheduled', null],
    ['declined', day30, {}, { declined: true }, '2026-02-10', 'not_required', 'declined'],
    [
      'death before the window closed',
      day30,
      {},
      { deathOn: '2026-02-20' },
      '2026-03-01',
      'not_required',
      'death',
    ],
    ['death after the window closed', day30, {}, { deathOn: '2026-02-24' }, '2026-03-01', 'missed', null],
    ['death while undated', undated, {}, { deathOn: '2026-02-24' }, '2026-03-01', 'not_required', 'death'],
    [
      'withdrawal (b) before the window',
      day30,
      {},
      { withdrawnOn: '2026-01-20' },
      '2026-02-10',
      'not_required',
      'withdrawal',
    ],
    [
      'death first, then withdrawal',
      day30,
      {},
      { deathOn: '2026-02-05', withdrawnOn: '2026-02-06' },
      '2026-02-10',
      'not_required',
      'death',
    ],
    [
      'lost while the window is open',
      day30,
      {},
      { lostOn: '2026-02-10' },
      '2026-02-12',
      'lost_to_follow_up',
      null,
    ],
    [
      'lost before the window opened',
      day30,
      {},
      { lostOn: '2026-01-20' },
      '2026-02-12',
      'not_required',
      'lost_to_follow_up',
    ],
    ['lost after the window closed', day30, {}, { lostOn: '2026-03-01' }, '2026-03-02', 'missed', null],
  ])('%s', (_, dates, facts, ends, today, status, reason) => {
    expect(visitState(dates, { ...open, ...facts }, { ...NO_END, ...ends }, today)).toEqual({
      status,
      reason,
    });
  });
});
