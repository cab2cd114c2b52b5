import {
  longDate,
  reminderBlock,
  reminderChanges,
  reminderJobId,
  reminderPolicy,
  renderReminder,
  type BookedAppointment,
  type PendingReminder,
  type ReminderFacts,
} from './reminders.js';

const policy = reminderPolicy('7,1', '09:00');
const alive = { deathOn: null, withdrawnOn: null, declined: false, lostOn: null };
const facts = (
  over: Partial<ReminderFacts> = {},
  ends: Partial<ReminderFacts['ends']> = {},
): ReminderFacts => ({
  ends: { ...alive, ...ends },
  contactWithdrawn: false,
  discharged: true,
  channel: 'sms',
  ...over,
});

describe('reminderPolicy', () => {
  it('reads the configured days, latest first, without repeats', () => {
    expect(reminderPolicy('1,7,7,0', '08:30')).toEqual({ daysBefore: [7, 1, 0], sendAt: '08:30' });
  });
});

describe('reminderBlock', () => {
  it.each([
    ['a discharged, consenting patient with a channel', facts(), null],
    ['a decline', facts({}, { declined: true }), 'declined'],
    ['a death', facts({}, { deathOn: '2027-01-01' }), 'died'],
    ['withdrawal (b)', facts({}, { withdrawnOn: '2027-01-01' }), 'withdrawn_data'],
    ['withdrawal (a), no contact', facts({ contactWithdrawn: true }), 'withdrawn_contact'],
    ['loss to follow-up', facts({}, { lostOn: '2027-01-01' }), 'lost_to_follow_up'],
    ['still an inpatient', facts({ discharged: false }), 'inpatient'],
    ['no reminders wanted', facts({ channel: 'none' }), 'no_channel'],
    ['death before anything else', facts({ discharged: false }, { deathOn: '2027-01-01' }), 'died'],
  ])('%s → %s', (_case, given, expected) => {
    expect(reminderBlock(given)).toBe(expected);
  });
});

describe('reminderChanges', () => {
  const now = new Date('2027-01-01T12:00:00Z');
  // 20 January 2027 is GMT: 09:00 London = 09:00Z.
  const appointment: BookedAppointment = {
    id: 'a1',
    localDate: '2027-01-20',
    startsAt: new Date('2027-01-20T10:30:00Z'),
  };
  const pending = (over: Partial<PendingReminder>): PendingReminder => ({
    id: 'r7',
    appointmentId: 'a1',
    daysBefore: 7,
    channel: 'sms',
    dueAt: new Date('2027-01-13T09:00:00Z'),
    appointmentDate: '2027-01-20',
    ...over,
  });

  const appointmentDate = '2027-01-20';

  it('a booking adds a reminder 7 days and 1 day before, at 09:00 local', () => {
    expect(reminderChanges([appointment], [], policy, null, 'sms', now)).toEqual({
      add: [
        {
          appointmentId: 'a1',
          appointmentDate,
          daysBefore: 7,
          channel: 'sms',
          dueAt: new Date('2027-01-13T09:00:00Z'),
        },
        {
          appointmentId: 'a1',
          appointmentDate,
          daysBefore: 1,
          channel: 'sms',
          dueAt: new Date('2027-01-19T09:00:00Z'),
        },
      ],
      move: [],
      cancel: [],
    });
  });

  it('nothing changes when the pending reminders already match', () => {
    const live = [pending({}), pending({ id: 'r1', daysBefore: 1, dueAt: new Date('2027-01-19T09:00:00Z') })];
    expect(reminderChanges([appointment], live, policy, null, 'sms', now)).toEqual({
      add: [],
      move: [],
      cancel: [],
    });
  });

  it('a move to another day moves the pending reminders; a change of time alone on the same day does not', () => {
    const live = [pending({}), pending({ id: 'r1', daysBefore: 1, dueAt: new Date('2027-01-19T09:00:00Z') })];
    const moved = { ...appointment, localDate: '2027-01-22', startsAt: new Date('2027-01-22T14:00:00Z') };
    expect(reminderChanges([moved], live, policy, null, 'sms', now).move).toEqual([
      { id: 'r7', channel: 'sms', dueAt: new Date('2027-01-15T09:00:00Z'), appointmentDate: '2027-01-22' },
      { id: 'r1', channel: 'sms', dueAt: new Date('2027-01-21T09:00:00Z'), appointmentDate: '2027-01-22' },
    ]);
    const later = { ...appointment, startsAt: new Date('2027-01-20T15:00:00Z') };
    expect(reminderChanges([later], live, policy, null, 'sms', now).move).toEqual([]);
  });

  it('a changed channel moves the reminder to the new channel', () => {
    const changes = reminderChanges([appointment], [pending({})], policy, null, 'email', now);
    expect(changes.move).toEqual([
      { id: 'r7', channel: 'email', dueAt: new Date('2027-01-13T09:00:00Z'), appointmentDate },
    ]);
  });

  it('a reminder whose moment has passed is not added; a pending one already due stays', () => {
    const soon = { id: 'a1', localDate: '2027-01-05', startsAt: new Date('2027-01-05T10:00:00Z') };
    const due = pending({ dueAt: new Date('2026-12-29T09:00:00Z') });
    expect(reminderChanges([soon], [due], policy, null, 'sms', now)).toEqual({
      add: [
        {
          appointmentId: 'a1',
          appointmentDate: '2027-01-05',
          daysBefore: 1,
          channel: 'sms',
          dueAt: new Date('2027-01-04T09:00:00Z'),
        },
      ],
      move: [],
      cancel: [],
    });
  });

  it('a move whose new moment has passed cancels the pending reminder', () => {
    const earlier = { id: 'a1', localDate: '2027-01-05', startsAt: new Date('2027-01-05T10:00:00Z') };
    expect(reminderChanges([earlier], [pending({})], policy, null, 'sms', now).cancel).toEqual([
      { id: 'r7', reason: 'moment_passed' },
    ]);
  });

  it('a reminder that would go out after the appointment starts is not added', () => {
    const sameDay = reminderPolicy('0', '09:00');
    const early = { ...appointment, startsAt: new Date('2027-01-20T08:30:00Z') };
    expect(reminderChanges([early], [], sameDay, null, 'sms', now).add).toEqual([]);
  });

  it.each([
    ['the appointment is no longer booked', [], null, 'sms', 'appointment_not_booked'],
    ['the patient died', [appointment], 'died', 'sms', 'died'],
    ['the patient withdrew contact', [appointment], 'withdrawn_contact', 'sms', 'withdrawn_contact'],
    ['the patient chose no reminders', [appointment], null, 'none', 'no_channel'],
  ] as const)('cancels the pending reminders when %s', (_case, booked, block, channel, reason) => {
    expect(reminderChanges(booked, [pending({})], policy, block, channel, now)).toEqual({
      add: [],
      move: [],
      cancel: [{ id: 'r7', reason }],
    });
  });

  it('cancels a kind no longer in the policy', () => {
    expect(
      reminderChanges([appointment], [pending({})], reminderPolicy('1', '09:00'), null, 'sms', now),
    ).toEqual({
      add: [
        {
          appointmentId: 'a1',
          appointmentDate,
          daysBefore: 1,
          channel: 'sms',
          dueAt: new Date('2027-01-19T09:00:00Z'),
        },
      ],
      move: [],
      cancel: [{ id: 'r7', reason: 'not_planned' }],
    });
  });

  it('never plans again a reminder handed over for the same date and days-before, whatever the send time', () => {
    // The week-before reminder went out at 09:00; the send time moves to 15:00 the same morning.
    const sentAt9 = [{ appointmentId: 'a1', appointmentDate, daysBefore: 7 }];
    const at10 = new Date('2027-01-13T10:00:00Z');
    const later = reminderChanges(
      [appointment],
      [],
      reminderPolicy('7', '15:00'),
      null,
      'sms',
      at10,
      sentAt9,
    );
    expect(later).toEqual({ add: [], move: [], cancel: [] });
    // The appointment moved to another day: that day's reminder is new.
    const moved = { ...appointment, localDate: '2027-01-27', startsAt: new Date('2027-01-27T10:30:00Z') };
    expect(
      reminderChanges([moved], [], reminderPolicy('7', '15:00'), null, 'sms', at10, sentAt9).add,
    ).toEqual([
      {
        appointmentId: 'a1',
        appointmentDate: '2027-01-27',
        daysBefore: 7,
        channel: 'sms',
        dueAt: new Date('2027-01-20T15:00:00Z'),
      },
    ]);
    // Moved back to the day whose reminder went out: the pending one of the other day is cancelled.
    const back = reminderChanges(
      [appointment],
      [pending({ appointmentDate: '2027-01-27', dueAt: new Date('2027-01-20T15:00:00Z') })],
      reminderPolicy('7', '15:00'),
      null,
      'sms',
      at10,
      sentAt9,
    );
    expect(back).toEqual({ add: [], move: [], cancel: [{ id: 'r7', reason: 'already_sent' }] });
  });

  it('reminders around the clock changes go out at 09:00 local (BST or GMT)', () => {
    const march = { id: 'm', localDate: '2027-03-29', startsAt: new Date('2027-03-29T09:00:00Z') };
    const october = { id: 'o', localDate: '2027-11-01', startsAt: new Date('2027-11-01T10:00:00Z') };
    const dues = reminderChanges([march, october], [], policy, null, 'email', now).add.map((r) => [
      r.appointmentId,
      r.daysBefore,
      r.dueAt.toISOString(),
    ]);
    expect(dues).toEqual([
      ['m', 7, '2027-03-22T09:00:00.000Z'],
      ['m', 1, '2027-03-28T08:00:00.000Z'],
      ['o', 7, '2027-10-25T08:00:00.000Z'], // still BST: clocks go back on 31 October
      ['o', 1, '2027-10-31T09:00:00.000Z'],
    ]);
  });
});

describe('reminderJobId', () => {
  it('names the reminder and its version, without a colon', () => {
    expect(reminderJobId('0b7f4c1e-1111-4222-8333-944445555666', 3)).toBe(
      'reminder-0b7f4c1e-1111-4222-8333-944445555666-v3',
    );
  });
});

describe('renderReminder', () => {
  it('gives the date, time and place, and nothing clinical', () => {
    const words = renderReminder({
      localDate: '2027-01-12',
      localTime: '10:30',
      mode: 'clinic',
      place: 'Outpatients B',
      phone: null,
    });
    expect(words.subject).toBe('Your appointment on Tuesday 12 January 2027');
    expect(words.body).toBe(
      'Reminder: you have an appointment on Tuesday 12 January 2027 at 10:30, at Outpatients B. ' +
        'If you cannot come, please call the number on your appointment letter.',
    );
    expect(words.body).not.toMatch(/ECMO|cardiac|heart|surgery|follow-up/i);
  });

  it("ends with the site's follow-up number when the site has one", () => {
    const words = renderReminder({
      localDate: '2027-01-12',
      localTime: '10:30',
      mode: 'telephone',
      place: null,
      phone: '0114 271 1900',
    });
    expect(words.body).toBe(
      'Reminder: you have an appointment on Tuesday 12 January 2027 at 10:30, by telephone: we will call you. ' +
        'If you cannot come, please call 0114 271 1900.',
    );
  });

  it.each([
    ['telephone', null, 'by telephone: we will call you'],
    ['video', null, 'by video call'],
    ['clinic', null, 'at the clinic'],
  ] as const)('says how: %s', (mode, place, how) => {
    expect(
      renderReminder({ localDate: '2027-01-12', localTime: '10:30', mode, place, phone: null }).body,
    ).toContain(how);
  });

  it('reads the local date the same whatever the process time zone', () => {
    expect(longDate('2027-03-28')).toBe('Sunday 28 March 2027');
  });
});
