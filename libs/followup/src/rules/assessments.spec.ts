import {
  assessmentProblems,
  followUpDeathOn,
  type AssessmentFacts,
  type FollowUpTimelineFacts,
} from './assessments.js';

const alive = (id: string, assessedOn: string, mrs: number | null = 2): AssessmentFacts => ({
  id,
  assessedOn,
  vitalStatus: 'alive',
  diedOn: null,
  mrs,
});
const dead = (
  id: string,
  assessedOn: string,
  diedOn: string | null,
  mrs: number | null = 6,
): AssessmentFacts => ({
  id,
  assessedOn,
  vitalStatus: 'dead',
  diedOn,
  mrs,
});
const base: Omit<FollowUpTimelineFacts, 'assessments'> = {
  today: '2026-06-01',
  operationDate: '2026-01-02',
  dischargeOn: '2026-01-25',
  hospitalDeathOn: null,
};

describe('followUpDeathOn', () => {
  it.each<[string, AssessmentFacts[], string | null]>([
    ['no death', [alive('a', '2026-02-01')], null],
    ['one death', [alive('a', '2026-02-01'), dead('b', '2026-04-10', '2026-04-02')], '2026-04-02'],
    [
      'the earliest of two',
      [dead('a', '2026-05-01', '2026-04-20'), dead('b', '2026-04-10', '2026-04-02')],
      '2026-04-02',
    ],
    ['an unknown day: the assessment’s', [dead('a', '2026-04-10', null)], '2026-04-10'],
  ])('%s', (_, assessments, expected) => {
    expect(followUpDeathOn(assessments)).toBe(expected);
  });
});

describe('assessmentProblems', () => {
  it.each<[string, Partial<typeof base>, AssessmentFacts[], Array<[string, string, RegExp]>]>([
    ['a living patient assessed at day 30', {}, [alive('a', '2026-02-24')], []],
    [
      'a death after discharge, recorded later',
      {},
      [alive('a', '2026-02-24'), dead('b', '2026-04-10', '2026-04-02')],
      [],
    ],
    ['assessed in the future', {}, [alive('a', '2026-06-02')], [['a', 'assessedOn', /future/]]],
    [
      'assessed before the operation',
      {},
      [alive('a', '2026-01-01')],
      [['a', 'assessedOn', /before the index operation/]],
    ],
    [
      'alive after the recorded death',
      {},
      [dead('a', '2026-04-10', '2026-04-02'), alive('b', '2026-05-01')],
      [['b', 'vitalStatus', /after the patient's death on 2026-04-02/]],
    ],
    [
      'alive on the day of death (assessed that morning)',
      {},
      [dead('a', '2026-04-10', '2026-04-02'), alive('b', '2026-04-02')],
      [],
    ],
    [
      'alive after an in-hospital death',
      { hospitalDeathOn: '2026-01-20', dischargeOn: null },
      [alive('a', '2026-02-24')],
      [['a', 'vitalStatus', /after the patient's death on 2026-01-20/]],
    ],
    [
      'a second death after an in-hospital one',
      { hospitalDeathOn: '2026-01-20', dischargeOn: null },
      [dead('a', '2026-02-24', '2026-01-20')],
      [['a', 'diedOn', /died in hospital/]],
    ],
    [
      'death before discharge',
      {},
      [dead('a', '2026-02-24', '2026-01-24')],
      [['a', 'diedOn', /before the hospital discharge/]],
    ],
    [
      'death after its assessment',
      {},
      [dead('a', '2026-02-24', '2026-02-25')],
      [['a', 'diedOn', /after the assessment/]],
    ],
    ['mRS 6 but alive', {}, [alive('a', '2026-02-24', 6)], [['a', 'mrs', /6 \(dead\)/]]],
    [
      'dead with mRS 3',
      {},
      [dead('a', '2026-02-24', '2026-02-20', 3)],
      [['a', 'mrs', /must be 6 when the patient died/]],
    ],
  ])('%s', (_, facts, assessments, expected) => {
    const problems = assessmentProblems({ ...base, ...facts, assessments });
    expect(problems.map((p) => [p.recordId, p.field])).toEqual(expected.map(([id, field]) => [id, field]));
    problems.forEach((p, i) => expect(p.reason).toMatch(expected[i][2]));
  });
});
