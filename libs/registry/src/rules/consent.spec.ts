import {
  CONSENT_EVENT_KINDS,
  type ConsentEventFacts,
  type ConsentEventKind,
  consentEventProblem,
  consentStatus,
  type ConsentStatus,
  type WithdrawalLevel,
} from './consent.js';

const at = (iso: string): Date => new Date(iso);

// Day 1 08:00 is the ECMO start; each later event is a day apart unless a row says otherwise.
const D1 = '2025-05-01T08:00:00Z';
const D2 = '2025-05-02T10:00:00Z';
const D3 = '2025-05-03T14:00:00Z';
const D4 = '2025-05-10T09:00:00Z';
const D5 = '2025-06-01T12:00:00Z';

const emergency = (iso: string): ConsentEventFacts => ({ kind: 'emergency_enrolment', occurredAt: at(iso) });
const consultee = (iso: string, consulteeAgreed: boolean): ConsentEventFacts => ({
  kind: 'consultee_advice',
  occurredAt: at(iso),
  consulteeAgreed,
});
const consent = (iso: string): ConsentEventFacts => ({ kind: 'patient_consent', occurredAt: at(iso) });
const declined = (iso: string): ConsentEventFacts => ({ kind: 'patient_declined', occurredAt: at(iso) });
const withdrawal = (iso: string, withdrawalLevel: WithdrawalLevel): ConsentEventFacts => ({
  kind: 'withdrawal',
  occurredAt: at(iso),
  withdrawalLevel,
});

/** A status with its instants as ISO strings, so that a failing row prints readably. */
type StatusIso = { [K in keyof ConsentStatus]: K extends 'state' ? ConsentStatus[K] : string | null };

const iso = (status: ConsentStatus): StatusIso => ({
  state: status.state,
  countingOnlySince: status.countingOnlySince?.toISOString() ?? null,
  contactWithdrawnAt: status.contactWithdrawnAt?.toISOString() ?? null,
  dataCollectionWithdrawnAt: status.dataCollectionWithdrawnAt?.toISOString() ?? null,
  exportWithdrawnAt: status.exportWithdrawnAt?.toISOString() ?? null,
});

const NONE: StatusIso = {
  state: null,
  countingOnlySince: null,
  contactWithdrawnAt: null,
  dataCollectionWithdrawnAt: null,
  exportWithdrawnAt: null,
};

const ms = (value: string): string => at(value).toISOString();

describe('consentStatus', () => {
  it.each<[string, ConsentEventFacts[], StatusIso]>([
    ['no events', [], NONE],
    ['emergency enrolment only', [emergency(D1)], { ...NONE, state: 'emergency_enrolled' }],
    [
      'emergency → consultee agreed → patient consented',
      [emergency(D1), consultee(D2, true), consent(D3)],
      { ...NONE, state: 'consented' },
    ],
    [
      'emergency → consultee declined: a count from the advice',
      [emergency(D1), consultee(D2, false)],
      { ...NONE, state: 'consultee_declined', countingOnlySince: ms(D2) },
    ],
    [
      'emergency → consultee agreed → patient declined on regaining capacity',
      [emergency(D1), consultee(D2, true), declined(D3)],
      { ...NONE, state: 'declined', countingOnlySince: ms(D3) },
    ],
    [
      'personal consultee agreed, then a nominated one agreed',
      [emergency(D1), consultee(D2, true), consultee(D3, true)],
      { ...NONE, state: 'consultee_agreed' },
    ],
    ['patient consented directly', [consent(D1)], { ...NONE, state: 'consented' }],
    [
      'consented → withdrawal a then c: both instants, b untouched',
      [consent(D1), withdrawal(D3, 'a'), withdrawal(D4, 'c')],
      { ...NONE, state: 'withdrawn', contactWithdrawnAt: ms(D3), exportWithdrawnAt: ms(D4) },
    ],
    [
      'a repeated level keeps the instant of its first withdrawal',
      [consent(D1), withdrawal(D2, 'b'), withdrawal(D3, 'a'), withdrawal(D4, 'b')],
      { ...NONE, state: 'withdrawn', contactWithdrawnAt: ms(D3), dataCollectionWithdrawnAt: ms(D2) },
    ],
    [
      'withdrawal under emergency enrolment, all three levels at once',
      [emergency(D1), withdrawal(D2, 'a'), withdrawal(D2, 'b'), withdrawal(D2, 'c')],
      {
        state: 'withdrawn',
        countingOnlySince: null,
        contactWithdrawnAt: ms(D2),
        dataCollectionWithdrawnAt: ms(D2),
        exportWithdrawnAt: ms(D2),
      },
    ],
    [
      'out-of-order input is sorted by instant',
      [consent(D3), emergency(D1), consultee(D2, true)],
      { ...NONE, state: 'consented' },
    ],
    [
      'out-of-order withdrawals: the earlier instant of a level wins, the latest event sets the state',
      [withdrawal(D5, 'a'), consent(D1), withdrawal(D4, 'a'), emergency('2025-04-30T22:00:00Z')],
      { ...NONE, state: 'withdrawn', contactWithdrawnAt: ms(D4) },
    ],
    [
      'equal instants keep input order: consultee agreed, then consent',
      [emergency(D1), consultee(D2, true), consent(D2)],
      { ...NONE, state: 'consented' },
    ],
    [
      'equal instants keep input order: consent, then consultee agreed',
      [emergency(D1), consent(D2), consultee(D2, true)],
      { ...NONE, state: 'consultee_agreed' },
    ],
    [
      'the first decline sets countingOnlySince, a later one does not move it',
      [emergency(D1), consultee(D2, false), declined(D3)],
      { ...NONE, state: 'declined', countingOnlySince: ms(D2) },
    ],
    [
      'a consultee agreeing after a decline does not lift it',
      [emergency(D1), declined(D2), consultee(D3, true)],
      { ...NONE, state: 'consultee_agreed', countingOnlySince: ms(D2) },
    ],
  ])('%s', (_, events, expected) => {
    expect(iso(consentStatus(events))).toEqual(expected);
  });

  it('does not reorder the caller’s array', () => {
    const events = [consent(D3), emergency(D1)];
    consentStatus(events);
    expect(events.map((e) => e.kind)).toEqual(['patient_consent', 'emergency_enrolment']);
  });

  it.each<[string, ConsentEventFacts[], RegExp]>([
    [
      'an invalid instant',
      [emergency(D1), { kind: 'patient_consent', occurredAt: new Date(Number.NaN) }],
      /events\[1\]\.occurredAt/,
    ],
    [
      'consultee advice without consulteeAgreed',
      [emergency(D1), { kind: 'consultee_advice', occurredAt: at(D2) }],
      /consultee agreed/,
    ],
    [
      'consultee advice with a null consulteeAgreed',
      [emergency(D1), { kind: 'consultee_advice', occurredAt: at(D2), consulteeAgreed: null }],
      /consultee agreed/,
    ],
    ['a withdrawal without a level', [consent(D1), { kind: 'withdrawal', occurredAt: at(D2) }], /level/],
    [
      'a withdrawal with a null level',
      [consent(D1), { kind: 'withdrawal', occurredAt: at(D2), withdrawalLevel: null }],
      /level/,
    ],
    [
      'a withdrawal with an unknown level',
      [consent(D1), { kind: 'withdrawal', occurredAt: at(D2), withdrawalLevel: 'd' as WithdrawalLevel }],
      /level/,
    ],
  ])('throws a RangeError on %s', (_, events, message) => {
    expect(() => consentStatus(events)).toThrow(RangeError);
    expect(() => consentStatus(events)).toThrow(message);
  });
});

describe('consentEventProblem', () => {
  const START = /must start with an emergency enrolment .* or the patient's own consent/;
  const ALREADY_ENROLLED = /emergency enrolment can only start the consent record/;
  const DECLINED = 'the patient (or their consultee) declined: the record is kept only as a count';

  const timelines: Record<string, ConsentEventFacts[]> = {
    empty: [],
    emergency: [emergency(D1)],
    consulteeAgreed: [emergency(D1), consultee(D2, true)],
    consented: [emergency(D1), consultee(D2, true), consent(D3)],
    withdrawnB: [consent(D1), withdrawal(D3, 'b')],
    withdrawnAC: [consent(D1), withdrawal(D3, 'a'), withdrawal(D4, 'c')],
  };
  const next = D5;

  it.each<[string, keyof typeof timelines, ConsentEventFacts, RegExp | null]>([
    // The first event.
    ['first: emergency enrolment', 'empty', emergency(next), null],
    ['first: patient consent', 'empty', consent(next), null],
    ['first: consultee advice', 'empty', consultee(next, true), START],
    ['first: patient declined', 'empty', declined(next), START],
    ['first: withdrawal', 'empty', withdrawal(next, 'a'), START],
    // After an emergency enrolment.
    ['emergency → emergency enrolment again', 'emergency', emergency(next), ALREADY_ENROLLED],
    ['emergency → consultee agreed', 'emergency', consultee(next, true), null],
    ['emergency → consultee declined', 'emergency', consultee(next, false), null],
    ['emergency → patient consent', 'emergency', consent(next), null],
    ['emergency → patient declined', 'emergency', declined(next), null],
    ['emergency → withdrawal', 'emergency', withdrawal(next, 'a'), null],
    // After a consultee agreed.
    ['consultee agreed → emergency enrolment', 'consulteeAgreed', emergency(next), ALREADY_ENROLLED],
    ['consultee agreed → a nominated consultee agrees', 'consulteeAgreed', consultee(next, true), null],
    ['consultee agreed → a nominated consultee declines', 'consulteeAgreed', consultee(next, false), null],
    ['consultee agreed → patient consent', 'consulteeAgreed', consent(next), null],
    ['consultee agreed → patient declined', 'consulteeAgreed', declined(next), null],
    ['consultee agreed → withdrawal', 'consulteeAgreed', withdrawal(next, 'b'), null],
    // After the patient consented.
    ['consented → emergency enrolment', 'consented', emergency(next), ALREADY_ENROLLED],
    ['consented → consultee advice', 'consented', consultee(next, true), /consented for themselves/],
    ['consented → consent again', 'consented', consent(next), /already consented/],
    ['consented → patient declined', 'consented', declined(next), /recorded as a withdrawal, not a decline/],
    ['consented → withdrawal c', 'consented', withdrawal(next, 'c'), null],
    // After a withdrawal.
    ['withdrawn b → emergency enrolment', 'withdrawnB', emergency(next), ALREADY_ENROLLED],
    ['withdrawn b → consultee advice', 'withdrawnB', consultee(next, true), /withdrawn from the study/],
    ['withdrawn b → patient consent', 'withdrawnB', consent(next), /withdrawn from the study/],
    ['withdrawn b → patient declined', 'withdrawnB', declined(next), /another withdrawal level/],
    ['withdrawn b → withdrawal a', 'withdrawnB', withdrawal(next, 'a'), null],
    ['withdrawn b → withdrawal c', 'withdrawnB', withdrawal(next, 'c'), null],
    [
      'withdrawn b → withdrawal b again',
      'withdrawnB',
      withdrawal(next, 'b'),
      /^already withdrawn at level b\b/,
    ],
    ['withdrawn a, c → withdrawal b', 'withdrawnAC', withdrawal(next, 'b'), null],
    [
      'withdrawn a, c → withdrawal a again',
      'withdrawnAC',
      withdrawal(next, 'a'),
      /^already withdrawn at level a\b/,
    ],
    [
      'withdrawn a, c → withdrawal c again',
      'withdrawnAC',
      withdrawal(next, 'c'),
      /^already withdrawn at level c\b/,
    ],
    // Malformed next events.
    [
      'consultee advice without consulteeAgreed',
      'emergency',
      { kind: 'consultee_advice', occurredAt: at(next) },
      /must say whether they agreed/,
    ],
    [
      'withdrawal without a level',
      'consented',
      { kind: 'withdrawal', occurredAt: at(next) },
      /must say its level/,
    ],
  ])('%s', (_, timeline, event, expected) => {
    const problem = consentEventProblem(consentStatus(timelines[timeline]), event);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  const declinedTimelines: [string, ConsentEventFacts[]][] = [
    ['the consultee declined', [emergency(D1), consultee(D2, false)]],
    ['the patient declined', [emergency(D1), consultee(D2, true), declined(D3)]],
  ];
  const nextOfEachKind: Record<ConsentEventKind, ConsentEventFacts> = {
    emergency_enrolment: emergency(next),
    consultee_advice: consultee(next, true),
    patient_consent: consent(next),
    patient_declined: declined(next),
    withdrawal: withdrawal(next, 'a'),
  };

  it.each(
    declinedTimelines.flatMap(([who, events]) =>
      CONSENT_EVENT_KINDS.map((kind) => [who, kind, events] as const),
    ),
  )('after %s, %s is refused: the record is kept only as a count', (_, kind, events) => {
    expect(consentEventProblem(consentStatus(events), nextOfEachKind[kind])).toBe(DECLINED);
  });

  it('a timeline built only from allowed events folds to the status it was checked against', () => {
    const events = [
      emergency(D1),
      consultee(D2, true),
      consultee(D3, true),
      consent(D4),
      withdrawal(D5, 'a'),
    ];
    events.forEach((event, i) => {
      expect(consentEventProblem(consentStatus(events.slice(0, i)), event)).toBeNull();
    });
    expect(consentStatus(events).state).toBe('withdrawn');
  });
});
