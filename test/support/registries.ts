import fc from 'fast-check';
import type { PatientFacts } from '../../libs/exports/src/report/facts.js';

/**
 * Registries for the disclosure tests: patients as the report's facts query gives them, of many shapes.
 */

export { dischargedPatient } from '../../libs/exports/src/testing/patient-facts.js';
import { dischargedPatient } from '../../libs/exports/src/testing/patient-facts.js';

export const DAY = 86_400_000;

/** One patient: when treated, how the run and the stay ended, what was recorded on time. */
const patientShape = fc.record({
  startDay: fc.integer({ min: 0, max: 690 }),
  died: fc.boolean(),
  diedOnEcmo: fc.boolean(),
  inHospital: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  countingOnly: fc.integer({ min: 0, max: 11 }).map((n) => n === 0),
  consent: fc.integer({ min: 0, max: 14 }).map((n) => n > 0),
  mdt: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  lactate: fc.integer({ min: 0, max: 6 }).map((n) => n > 0),
  lateOutcome: fc.integer({ min: 0, max: 8 }).map((n) => n === 0),
});

type PatientShape = typeof patientShape extends fc.Arbitrary<infer T> ? T : never;

/** Facts of one generated patient at the given site, started `startDay` days after 2025-01-10. */
export function factsOf(site: string, shape: PatientShape): PatientFacts {
  const base = Date.parse('2025-01-10T14:00:00Z') + shape.startDay * DAY;
  const outcomeAt = shape.inHospital ? null : base + (shape.died ? 9 : 21) * DAY;
  const facts = dischargedPatient(site, {
    startedAt: base,
    startYear: String(new Date(base).getUTCFullYear()),
    outcome: shape.inHospital ? null : shape.died ? 'death' : 'discharge',
    outcomeAt,
    outcomeRecordedAt: outcomeAt === null ? null : outcomeAt + (shape.lateOutcome ? 40 : 2) * DAY,
    consentDocumented: shape.consent,
    mdtDecisionTimely: shape.mdt,
    runs: [
      {
        startedAt: base,
        endedAt: base + 6 * DAY,
        endReason: shape.died && shape.diedOnEcmo ? 'died_on_ecmo' : 'weaned',
        lactateAndArrestRecorded: shape.lactate,
      },
    ],
  });
  if (!shape.countingOnly) return facts;
  // The minimal counting set only, as the facts query gives it.
  return {
    ...facts,
    countingOnly: true,
    consentDocumented: null,
    mdtDecisionTimely: null,
    runs: [],
    complications: [],
    visits: [],
  };
}

/**
 * A registry of 1 to `maxSites` sites: one-patient sites, empty cells and a few large sites among them. Site
 * sizes are drawn first (most small, some up to 60), then each patient's shape.
 */
export function registries(maxSites = 30): fc.Arbitrary<PatientFacts[]> {
  const size = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 9 }) },
    { weight: 2, arbitrary: fc.integer({ min: 10, max: 25 }) },
    { weight: 1, arbitrary: fc.integer({ min: 26, max: 60 }) },
  );
  return fc
    .integer({ min: 1, max: maxSites })
    .chain((sites) => fc.array(size, { minLength: sites, maxLength: sites }))
    .chain((sizes) => fc.tuple(...sizes.map((n) => fc.array(patientShape, { minLength: n, maxLength: n }))))
    .map((sites) => sites.flatMap((shapes, s) => shapes.map((shape) => factsOf(`S${s + 1}`, shape))));
}
