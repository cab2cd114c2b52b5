import { digestCounts, renderDigest, type DigestCounts } from './digest.js';
import type { Worklist } from './worklist.js';

const NONE: DigestCounts = {
  windowsOpened: 0,
  windowsClosed: 0,
  due: 0,
  thisWeek: 0,
  outcomes: 0,
  overdue: 0,
  missed: 0,
  reminders: 0,
};
const SITE = { code: 'NGH', name: 'Northern General' };

function section<T>(items: T[]) {
  return { count: items.length, items };
}

describe('digestCounts', () => {
  it('counts as news a window opened after the last digest, and one whose last day was on or after it', () => {
    const visit = (opensOn: string, closesOn: string) => ({ opensOn, closesOn }) as never;
    const list = {
      dueWithoutAppointment: section([visit('2026-11-20', '2026-12-04'), visit('2026-11-23', '2026-12-07')]),
      appointmentsThisWeek: section([{}, {}, {}]),
      outcomesToRecord: section([]),
      overdueVisits: section([visit('2026-10-01', '2026-11-21'), visit('2026-10-10', '2026-11-22')]),
      missedAppointments: section([{}]),
      reminders: section([{}, {}]),
    } as unknown as Worklist;
    expect(digestCounts(list, '2026-11-22')).toEqual({
      windowsOpened: 1,
      windowsClosed: 1,
      due: 2,
      thisWeek: 3,
      outcomes: 0,
      overdue: 2,
      missed: 1,
      reminders: 2,
    });
  });
});

describe('renderDigest', () => {
  it('says nothing (no e-mail) when the list is empty and nothing happened', () => {
    expect(renderDigest(SITE, '2026-11-24', NONE)).toBeNull();
  });

  it('lists only what is there, in words a nurse reads, with singular and plural right', () => {
    const words = renderDigest(SITE, '2026-11-24', { ...NONE, windowsClosed: 1, overdue: 2, reminders: 1 });
    expect(words).toEqual({
      subject: 'Follow-up worklist for NGH: Tuesday 24 November 2026',
      body: [
        'Northern General (NGH), Tuesday 24 November 2026',
        '',
        'Since the last digest:',
        '- 1 visit window closed with no visit recorded (overdue)',
        '',
        'On the worklist today:',
        '- 2 overdue visits',
        '- 1 patient reminder failed or not known to have arrived',
        '',
        'Sign in to the registry to see the worklist with each patient. This message names no patient.',
      ].join('\n'),
    });
  });

  it('leaves out the news when there is none', () => {
    const words = renderDigest(SITE, '2026-11-24', { ...NONE, thisWeek: 1 });
    expect(words?.body).not.toContain('Since the last digest');
    expect(words?.body).toContain('- 1 appointment in the next 7 days');
  });
});
