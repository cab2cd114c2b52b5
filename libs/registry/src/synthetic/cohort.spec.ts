import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ComplicationDto, ConsentEventDto, EnrolPatientDto, OutcomeDto } from '../patients/dto.js';
import { consentEventProblem, consentStatus, type ConsentEventFacts } from '../rules/consent.js';
import { ageInYears, eligibilityFailures } from '../rules/eligibility.js';
import { DAY_MS } from '../../../time/src/index.js';
import { isTestNhsNumber } from '../rules/nhs-number.js';
import { timelineProblems, type TimelineFacts } from '../rules/timeline.js';
import { mulberry32, syntheticCohort, syntheticPatient, type SyntheticPatient } from './cohort.js';

const NOW = new Date('2026-09-15T10:30:00Z');
const options = (seed: number, sites = 5) => ({ seed, now: NOW, sites });
const cohort = (seed: number, count: number, offset = 0): SyntheticPatient[] => [
  ...syntheticCohort(count, { ...options(seed), offset }),
];

const COHORT_SIZE = 2_000;
const BIG = cohort(42, COHORT_SIZE);

/** The timeline the registry would hold after the enrolment and every step. */
function timelineOf(patient: SyntheticPatient): TimelineFacts {
  const run = patient.enrolment.ecmoRun;
  const outcome = patient.steps.find((s) => s.kind === 'outcome')?.body;
  return {
    operationDate: patient.enrolment.operation.operationDate,
    runs: [
      {
        id: 'run',
        startedAt: new Date(run.startedAt),
        endedAt: run.endedAt ? new Date(run.endedAt) : null,
        endReason: run.endReason ?? null,
      },
    ],
    complications: patient.steps.flatMap((s, i) =>
      s.kind === 'complication' ? [{ id: `c${i}`, onsetAt: new Date(s.body.onsetAt), ecmoRunId: 'run' }] : [],
    ),
    outcome: outcome ? { kind: outcome.kind, occurredAt: new Date(outcome.occurredAt) } : null,
  };
}

function consentEventsOf(patient: SyntheticPatient): ConsentEventFacts[] {
  return [
    patient.enrolment.consent,
    ...patient.steps.flatMap((s) => (s.kind === 'consent' ? [s.body] : [])),
  ].map((e) => ({ ...e, occurredAt: new Date(e.occurredAt) }));
}

/** Every instant and date of the patient's clinical data (consent events aside). */
function clinicalInstantsOf(patient: SyntheticPatient): number[] {
  const { enrolment } = patient;
  return [
    Date.parse(enrolment.operation.operationDate),
    Date.parse(enrolment.mdtDecision!.decidedAt),
    Date.parse(enrolment.ecmoRun.startedAt),
    ...(enrolment.ecmoRun.endedAt ? [Date.parse(enrolment.ecmoRun.endedAt)] : []),
    ...patient.steps.flatMap((s) =>
      s.kind === 'complication'
        ? [Date.parse(s.body.onsetAt)]
        : s.kind === 'outcome'
          ? [Date.parse(s.body.occurredAt)]
          : [],
    ),
  ];
}

const share = (
  predicate: (p: SyntheticPatient) => boolean,
  among: readonly SyntheticPatient[] = BIG,
): number => among.filter(predicate).length / among.length;
const hadComplication =
  (...codes: string[]) =>
  (p: SyntheticPatient): boolean =>
    p.facts.complications.some((c) => codes.includes(c));

describe('mulberry32', () => {
  it('is deterministic, in [0, 1), and differs between seeds', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(mulberry32(7)());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('syntheticCohort', () => {
  it('gives an identical cohort for the same seed and now', () => {
    expect(cohort(42, 200)).toEqual(BIG.slice(0, 200));
  });

  it('gives a different cohort for another seed (the NHS numbers, which follow the index, aside)', () => {
    const other = cohort(43, 200);
    const differing = other.filter((p, i) => JSON.stringify(p) !== JSON.stringify(BIG[i]));
    expect(differing.length).toBeGreaterThan(195);
    expect(other.map((p) => p.enrolment.identity.nhsNumber)).toEqual(
      BIG.slice(0, 200).map((p) => p.enrolment.identity.nhsNumber),
    );
  });

  it('continues the same sequence from an offset (a patient depends on the seed and its index only)', () => {
    expect(cohort(42, 50, 150)).toEqual(BIG.slice(150, 200));
    expect(syntheticPatient(1234, options(42))).toEqual(BIG[1234]);
  });

  it('uses distinct, valid NHS numbers of the 999 test range only', () => {
    const numbers = BIG.map((p) => p.enrolment.identity.nhsNumber);
    expect(numbers.every(isTestNhsNumber)).toBe(true);
    expect(new Set(numbers).size).toBe(COHORT_SIZE);
  });

  it('spreads the patients over every site, larger sites first', () => {
    const perSite = [0, 1, 2, 3, 4].map((k) => BIG.filter((p) => p.siteIndex === k).length);
    expect(perSite.every((n) => n > COHORT_SIZE / 15)).toBe(true);
    expect(perSite[0]).toBeGreaterThan(perSite[4]);
    expect(cohort(1, 100).every((p) => syntheticPatient(p.index, options(1, 1)).siteIndex === 0)).toBe(true);
  });

  it('gives every patient an eligible enrolment, aged 35-85 at the start', () => {
    for (const { enrolment } of BIG) {
      const { ecmoRun, operation, identity, mdtDecision } = enrolment;
      const facts = {
        dateOfBirth: identity.dateOfBirth,
        ecmoStart: new Date(ecmoRun.startedAt),
        ecmoMode: ecmoRun.mode as 'VA',
        startLocation: ecmoRun.startLocation as 'theatre' | 'icu',
        startedFor: ecmoRun.startedFor as 'failure_to_wean' | 'post_operative_shock',
        operationDate: operation.operationDate,
        mdtDecisionAt: new Date(mdtDecision!.decidedAt),
      };
      expect(eligibilityFailures(facts)).toEqual([]);
      expect(facts.mdtDecisionAt.getTime()).toBeLessThanOrEqual(facts.ecmoStart.getTime());
      const age = ageInYears(identity.dateOfBirth, facts.ecmoStart);
      expect(age).toBeGreaterThanOrEqual(35);
      expect(age).toBeLessThanOrEqual(85);
    }
  });

  it('keeps every timeline in order, in the past, and within the last two years', () => {
    for (const patient of BIG) {
      expect(timelineProblems(timelineOf(patient), NOW)).toEqual([]);
      const consent = consentEventsOf(patient).map((e) => e.occurredAt.getTime());
      expect(Math.max(...clinicalInstantsOf(patient), ...consent)).toBeLessThanOrEqual(NOW.getTime());
      const operation = Date.parse(patient.enrolment.operation.operationDate);
      expect(operation).toBeGreaterThanOrEqual(NOW.getTime() - 731 * DAY_MS);
    }
  });

  it('records consent events in time order, each one allowed after those before it', () => {
    for (const patient of BIG) {
      const events = consentEventsOf(patient);
      events.forEach((event, i) => {
        if (i > 0)
          expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(events[i - 1].occurredAt.getTime());
        expect(consentEventProblem(consentStatus(events.slice(0, i)), event)).toBeNull();
      });
    }
  });

  it('records nothing after a decline, and no clinical data after a withdrawal from data collection', () => {
    for (const patient of BIG) {
      const events = consentEventsOf(patient);
      const status = consentStatus(events);
      if (patient.facts.declinedBy) {
        expect(status.countingOnlySince).not.toBeNull();
        expect(patient.steps.at(-1)?.kind).toBe('consent');
      } else {
        expect(status.countingOnlySince).toBeNull();
        expect(patient.enrolment.ecmoRun.endReason).toBe(patient.facts.endReason);
        expect(patient.steps.filter((s) => s.kind === 'outcome')).toHaveLength(1);
        expect(patient.steps.filter((s) => s.kind === 'complication')).toHaveLength(
          patient.facts.complications.length,
        );
      }
      const withdrawn = status.dataCollectionWithdrawnAt?.getTime();
      if (withdrawn !== undefined) {
        expect(Math.max(...clinicalInstantsOf(patient))).toBeLessThan(withdrawn);
      }
    }
  });

  it('builds bodies that pass the same validation as HTTP input', () => {
    const invalid = BIG.slice(0, 300).flatMap((patient) => [
      ...validateSync(plainToInstance(EnrolPatientDto, patient.enrolment), {
        forbidNonWhitelisted: true,
        whitelist: true,
      }),
      ...patient.steps.flatMap((step) => {
        const body =
          step.kind === 'consent'
            ? plainToInstance(ConsentEventDto, step.body)
            : step.kind === 'outcome'
              ? plainToInstance(OutcomeDto, step.body)
              : plainToInstance(ComplicationDto, step.body);
        return validateSync(body, { forbidNonWhitelisted: true, whitelist: true });
      }),
    ]);
    expect(invalid).toEqual([]);
  });

  const dischargedOf = (p: SyntheticPatient) => p.facts.survivedToDischarge;
  const ecmoDays = (p: SyntheticPatient) =>
    (Date.parse(p.enrolment.ecmoRun.endedAt ?? p.enrolment.ecmoRun.startedAt) -
      Date.parse(p.enrolment.ecmoRun.startedAt)) /
    DAY_MS;
  const ended = BIG.filter((p) => p.enrolment.ecmoRun.endedAt);

  it.each<[string, () => number, number, number]>([
    ['survival to discharge', () => share(dischargedOf), 0.35, 0.4],
    ['death on ECMO', () => share((p) => p.facts.endReason === 'died_on_ecmo'), 0.2, 0.28],
    ['weaned', () => share((p) => p.facts.endReason === 'weaned'), 0.54, 0.62],
    [
      'failure to wean, in theatre',
      () => share((p) => p.enrolment.ecmoRun.startLocation === 'theatre'),
      0.66,
      0.74,
    ],
    [
      'bleeding',
      () =>
        share(
          hadComplication(
            'bleeding_surgical_site',
            'bleeding_cannulation_site',
            'reoperation_for_bleeding',
            'cardiac_tamponade',
            'bleeding_gastrointestinal',
            'bleeding_pulmonary',
          ),
        ),
      0.29,
      0.37,
    ],
    ['renal replacement therapy', () => share(hadComplication('renal_replacement_therapy')), 0.2, 0.25],
    ['ischaemic stroke', () => share(hadComplication('ischaemic_stroke')), 0.05, 0.08],
    ['limb ischaemia', () => share(hadComplication('limb_ischaemia')), 0.075, 0.105],
    ['infection or sepsis', () => share(hadComplication('culture_proven_infection', 'sepsis')), 0.17, 0.23],
    ['declined (consultee or patient)', () => share((p) => p.facts.declinedBy !== null), 0.02, 0.07],
    ['withdrawn', () => share((p) => p.facts.withdrawalLevels.length > 0), 0.015, 0.06],
    ['male', () => share((p) => p.enrolment.sex === 'male'), 0.65, 0.75],
    ['ECMO runs of 2 to 10 days', () => share((p) => ecmoDays(p) >= 2 && ecmoDays(p) <= 10, ended), 1, 1],
    ['ECMO runs under 6 days', () => share((p) => ecmoDays(p) < 6, ended), 0.65, 0.9],
  ])('over 2,000 patients: %s', (_name, measure, low, high) => {
    const value = measure();
    expect(value).toBeGreaterThanOrEqual(low);
    expect(value).toBeLessThanOrEqual(high);
  });

  it.each([0, 0.5, -1])('refuses %s sites', (sites) => {
    expect(() => syntheticPatient(0, options(1, sites))).toThrow(RangeError);
  });
});
