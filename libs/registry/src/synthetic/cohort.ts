/**
 * A seeded, synthetic VA-ECMO cohort (issue 4): for each patient index, the request bodies a research nurse
 * would send (the enrolment, then the later consent events, complications and the hospital outcome, in the
 * order they happened), with distributions close enough to the postcardiotomy literature to demonstrate the
 * registry and to load-test it. Pure: no clock (the caller passes `now`), no Math.random (a seeded
 * mulberry32 per patient), no I/O, so the same seed, index and `now` always give the same patient.
 *
 * Every body is shaped as the DTO the HTTP api accepts, and every timeline obeys the service's rules:
 * operation ≤ ECMO start < end ≤ outcome, complications within the run, nothing after `now`, consent events
 * in time order, withdrawals dated after the outcome (so nothing clinical follows a level-b withdrawal), and
 * nothing at all recorded after a decline (the patient is then kept only as a count).
 */
import type { ComplicationDto, ConsentEventDto, EnrolPatientDto, OutcomeDto } from '../patients/dto.js';
import type { WithdrawalLevel } from '../rules/consent.js';
import { DAY_MS, HOUR_MS } from '../../../time/src/index.js';
import { syntheticNhsNumber } from '../rules/nhs-number.js';

const MINUTE_MS = 60_000;

/** A small, fast, seedable PRNG (Tommy Ettinger's mulberry32): uniform in [0, 1), 2^32 period. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed for one patient of a cohort (murmur3's finaliser over the cohort seed and the index). */
function patientSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xcc9e2d51) ^ Math.imul(index + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The draws a patient is built from. */
class Draw {
  constructor(private readonly next: () => number) {}

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Normal (Box–Muller), clamped to [min, max]. */
  normal(mean: number, sd: number, min: number, max: number): number {
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.min(max, Math.max(min, mean + sd * z));
  }

  /** Log-normal by its median, clamped to [min, max]. */
  logNormal(median: number, sigma: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, median * Math.exp(this.normal(0, sigma, -6, 6))));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One of the keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [key, weight] of entries) {
      x -= weight;
      if (x < 0) return key;
    }
    // Only reached through rounding: the last key that can be drawn at all.
    return entries.filter(([, w]) => w > 0).at(-1)![0];
  }
}

// Made-up people: common British names, telephone numbers from Ofcom's range for drama (07700 900xxx),
// e-mail addresses at example.org (reserved), streets and towns that do not exist.
const GIVEN_NAMES = {
  male: ['James', 'Robert', 'David', 'Michael', 'Peter', 'Andrew', 'Paul', 'Richard', 'Mark', 'Stephen'],
  female: [
    'Susan',
    'Margaret',
    'Patricia',
    'Elizabeth',
    'Linda',
    'Karen',
    'Helen',
    'Janet',
    'Ruth',
    'Alison',
  ],
} as const;
const FAMILY_NAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Davies',
  'Patel',
  'Robinson',
  'Thompson',
  'Evans',
  'Walker',
  'Khan',
  'Hughes',
  "O'Brien",
  'Begum',
  'Nowak',
  'Fraser',
  'Okafor',
  'MacLeod',
];
const STREETS = ['Example Street', 'Sample Road', 'Placeholder Lane', 'Fictional Avenue', 'Demo Close'];
const TOWNS = ['Testbury', 'Mockford', 'Dummyton', 'Specimen Bay'];
const INDEPENDENT_DOCTORS = ['Dr Lindqvist', 'Dr Mahmood', 'Dr Byrne', 'Dr Chen', 'Dr Adeyemi', 'Dr Russo'];

/** Probabilities of the cohort (targets the unit test checks over 2,000 patients). */
export const COHORT_RATES = {
  /** VA ECMO for failure to wean from bypass, in theatre (else post-operative shock, in ICU). */
  failureToWean: 0.7,
  /** How the run ends. Survival to discharge ≈ 0.58·0.58 + 0.04·0.6 + 0.03·0.7 ≈ 38 %. */
  endReason: {
    weaned: 0.58,
    died_on_ecmo: 0.24,
    withdrawn_futility: 0.11,
    bridged_vad: 0.04,
    bridged_transplant: 0.03,
  },
  survivalAfter: { weaned: 0.58, bridged_vad: 0.6, bridged_transplant: 0.7 },
  bleeding: 0.33,
  renalReplacementTherapy: 0.22,
  ischaemicStroke: 0.065,
  /** Limb ischaemia: mostly after femoral (peripheral) cannulation; ≈ 9 % overall. */
  limbIschaemia: { peripheral: 0.16, central: 0.03 },
  infection: 0.2,
  circuitThrombosis: 0.06,
  /** A consultee is asked while the patient lacks capacity; a few advise against. */
  consulteeAsked: 0.9,
  consulteeDeclines: 0.04,
  /** A survivor who regains capacity before leaving hospital decides for themselves; a few decline. */
  patientDecides: 0.92,
  patientDeclines: 0.04,
  /** Consented survivors who later withdraw (after discharge), at one or more levels. */
  withdrawal: 0.1,
} as const;

export type EndReason = keyof typeof COHORT_RATES.endReason;

/** A later request, in the order it happened; a complication is recorded on the index run. */
export type CohortStep =
  | { readonly kind: 'consent'; readonly body: ConsentEventDto }
  | { readonly kind: 'complication'; readonly body: ComplicationDto }
  | { readonly kind: 'outcome'; readonly body: OutcomeDto };

/** What happened to the patient (whether or not all of it is recorded: nothing is after a decline). */
export interface CohortFacts {
  readonly endReason: EndReason;
  readonly survivedToDischarge: boolean;
  readonly declinedBy: 'consultee' | 'patient' | null;
  readonly withdrawalLevels: readonly WithdrawalLevel[];
  /** Every complication the patient had, by code (recorded or not). */
  readonly complications: readonly string[];
}

export interface SyntheticPatient {
  /** The patient's index in the synthetic sequence (its NHS number is the index-th of the 999 range). */
  readonly index: number;
  /** Which of the cohort's sites enrols the patient (0-based). */
  readonly siteIndex: number;
  /** The enrolment body (siteId left to the loader); the run is ended already unless a decline came first. */
  readonly enrolment: EnrolPatientDto;
  readonly steps: readonly CohortStep[];
  readonly facts: CohortFacts;
}

export interface CohortOptions {
  readonly seed: number;
  /** Nothing is dated after it; index operations fall in the two years before it. */
  readonly now: Date;
  /** How many sites the patients are spread over (larger sites first). */
  readonly sites: number;
}

/**
 * The note on a synthetic patient's first consent event: it marks the record as synthetic wherever it is
 * read, and names the seed and index it came from (kept after a decline, when the NHS number is destroyed).
 */
export function syntheticNote(seed: number, index: number): string {
  return `Synthetic patient (seed ${seed >>> 0}, index ${index}): not a real person`;
}

/** The seed and index a {@link syntheticNote} names, or null for any other note. */
export function parseSyntheticNote(note: string): { seed: number; index: number } | null {
  const match = /^Synthetic patient \(seed (\d+), index (\d+)\): not a real person$/.exec(note);
  return match ? { seed: Number(match[1]), index: Number(match[2]) } : null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const utcDay = (ms: number): string => iso(ms).slice(0, 10);
const round = (value: number, places: number): number => Number(value.toFixed(places));

/** Site weights 1, 1/√2, 1/√3, …: a few large centres and smaller ones, every site with patients. */
function siteIndexOf(draw: Draw, sites: number): number {
  const weights = Object.fromEntries(
    Array.from({ length: sites }, (_, k) => [String(k), 1 / Math.sqrt(k + 1)]),
  );
  return Number(draw.weighted(weights));
}

/**
 * The synthetic patient at `index` (0 ≤ index < SYNTHETIC_NHS_NUMBER_COUNT) of the cohort `seed`: its own
 * seeded draws, so a patient does not depend on how many others are generated.
 */
export function syntheticPatient(index: number, options: CohortOptions): SyntheticPatient {
  if (!Number.isInteger(options.sites) || options.sites < 1) {
    throw new RangeError(`A cohort needs at least one site, got ${options.sites}`);
  }
  const nhsNumber = syntheticNhsNumber(index);
  const draw = new Draw(mulberry32(patientSeed(options.seed, index)));
  const now = options.now.getTime();
  const siteIndex = siteIndexOf(draw, options.sites);

  // The operation: a calendar day 100 to 730 days before now, so that the whole hospital course (at most
  // 5 + 10 + 45 days) and the follow-up consent events have happened by now.
  const todayUtc = Date.parse(`${utcDay(now)}T00:00:00.000Z`);
  const operationDay = todayUtc - draw.int(100, 730) * DAY_MS;
  const operationDate = utcDay(operationDay);
  const category = draw.weighted({
    cabg: 34,
    valve: 25,
    combined: 20,
    aortic: 12,
    transplant: 4,
    vad_implant: 2,
    other: 3,
  });
  const bypassMinutes = Math.round(draw.logNormal(170, 0.35, 60, 600));
  const euroscoreUnknown = draw.chance(0.06);

  // The run: in theatre on the operation day for failure to wean (UTC 09:00-20:59 is the same London day
  // in winter and summer), else in ICU 0-5 days later for post-operative shock.
  const failureToWean = draw.chance(COHORT_RATES.failureToWean);
  const start = failureToWean
    ? operationDay + draw.uniform(9, 21) * HOUR_MS
    : operationDay + draw.int(0, 5) * DAY_MS + draw.uniform(14, 23.9) * HOUR_MS;
  const startMinute = Math.floor(start / MINUTE_MS) * MINUTE_MS;
  const mdtDecisionAt =
    startMinute - Math.round(failureToWean ? draw.uniform(10, 90) : draw.uniform(30, 360)) * MINUTE_MS;
  const peripheral = draw.chance(failureToWean ? 0.35 : 0.65);
  const returnSite = peripheral ? draw.weighted({ femoral: 85, subclavian_axillary: 15 }) : 'aorta';
  const endReason = draw.weighted(COHORT_RATES.endReason);
  const end =
    startMinute + Math.round(draw.logNormal(4.5 * 24 * 60, 0.4, 2 * 24 * 60, 10 * 24 * 60)) * MINUTE_MS;
  const visMissing = draw.chance(0.05);

  // The hospital outcome: death at the end of the run, soon after care is withdrawn, or discharge or a later
  // death after weaning or a bridge.
  let survivedToDischarge = false;
  let outcome: OutcomeDto;
  let outcomeAt: number;
  if (endReason === 'died_on_ecmo') {
    outcomeAt = end;
    outcome = {
      kind: 'death',
      occurredAt: iso(outcomeAt),
      causeOfDeath: draw.weighted({
        cardiac: 40,
        multi_organ_failure: 35,
        neurological: 10,
        bleeding: 10,
        infection: 5,
      }),
    };
  } else if (endReason === 'withdrawn_futility') {
    outcomeAt = end + Math.round(draw.uniform(20, 720)) * MINUTE_MS;
    outcome = {
      kind: 'death',
      occurredAt: iso(outcomeAt),
      causeOfDeath: draw.weighted({ withdrawal_of_care: 70, multi_organ_failure: 20, neurological: 10 }),
    };
  } else {
    survivedToDischarge = draw.chance(COHORT_RATES.survivalAfter[endReason]);
    if (survivedToDischarge) {
      outcomeAt = end + Math.round(draw.uniform(5, 45) * 24 * 60) * MINUTE_MS;
      outcome = {
        kind: 'discharge',
        occurredAt: iso(outcomeAt),
        destination: draw.weighted({ home: 55, rehabilitation: 20, other_hospital: 22, hospice: 3 }),
      };
    } else {
      outcomeAt = end + Math.round(draw.uniform(1, 30) * 24 * 60) * MINUTE_MS;
      const cause = draw.weighted({
        cardiac: 35,
        multi_organ_failure: 35,
        infection: 15,
        neurological: 8,
        other: 7,
      });
      outcome = {
        kind: 'death',
        occurredAt: iso(outcomeAt),
        causeOfDeath: cause,
        ...(cause === 'other' ? { causeDetail: 'Mesenteric ischaemia' } : {}),
      };
    }
  }

  // Complications, each with an onset inside the run (at least an hour after the start and before the end).
  const complications: Array<{ at: number; body: ComplicationDto }> = [];
  const complication = (code: string, relation: string): void => {
    const at = Math.round(draw.uniform(start + HOUR_MS, end - HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const grade = draw.weighted({ '2': 45, '3': 40, '4': 15 });
    complications.push({
      at,
      body: {
        code,
        onsetAt: iso(at),
        grade: Number(grade),
        serious: grade !== '2',
        relation,
        outcome: survivedToDischarge || draw.chance(0.6) ? 'resolved' : 'ongoing',
      },
    });
  };
  if (draw.chance(COHORT_RATES.bleeding)) {
    const code = draw.weighted({
      bleeding_surgical_site: 35,
      bleeding_cannulation_site: peripheral ? 30 : 10,
      reoperation_for_bleeding: 15,
      cardiac_tamponade: 10,
      bleeding_gastrointestinal: 8,
      bleeding_pulmonary: 4,
    });
    complication(code, 'related');
  }
  if (draw.chance(COHORT_RATES.renalReplacementTherapy))
    complication('renal_replacement_therapy', 'possibly');
  if (draw.chance(COHORT_RATES.ischaemicStroke)) complication('ischaemic_stroke', 'possibly');
  if (draw.chance(peripheral ? COHORT_RATES.limbIschaemia.peripheral : COHORT_RATES.limbIschaemia.central)) {
    complication('limb_ischaemia', 'related');
  }
  if (draw.chance(COHORT_RATES.infection)) {
    complication(draw.weighted({ culture_proven_infection: 60, sepsis: 40 }), 'possibly');
  }
  if (draw.chance(COHORT_RATES.circuitThrombosis)) complication('circuit_thrombosis', 'related');

  // Consent: emergency enrolment agreed by an independent doctor soon after the start; a consultee asked
  // within 18-60 hours while the patient lives (capacity comes back later: the run lasts two days or more);
  // a survivor who regains capacity before discharge decides for themselves; a few withdraw after discharge.
  const consents: Array<{ at: number; body: ConsentEventDto }> = [];
  const enrolledAt = startMinute + Math.round(draw.uniform(20, 240)) * MINUTE_MS;
  let declinedBy: CohortFacts['declinedBy'] = null;
  const consulteeAt = startMinute + Math.round(draw.uniform(18, 60) * 60) * MINUTE_MS;
  if (consulteeAt < outcomeAt && draw.chance(COHORT_RATES.consulteeAsked)) {
    const agreed = !draw.chance(COHORT_RATES.consulteeDeclines);
    if (!agreed) declinedBy = 'consultee';
    consents.push({
      at: consulteeAt,
      body: {
        kind: 'consultee_advice',
        occurredAt: iso(consulteeAt),
        consulteeType: draw.chance(0.85) ? 'personal' : 'nominated',
        consulteeAgreed: agreed,
      },
    });
  }
  const capacityAt = end + Math.round(draw.uniform(1, 4) * 24 * 60) * MINUTE_MS;
  let consented = false;
  if (
    declinedBy === null &&
    capacityAt < outcomeAt - 6 * HOUR_MS &&
    draw.chance(COHORT_RATES.patientDecides)
  ) {
    const declines = draw.chance(COHORT_RATES.patientDeclines);
    if (declines) declinedBy = 'patient';
    consented = !declines;
    consents.push({
      at: capacityAt,
      body: { kind: declines ? 'patient_declined' : 'patient_consent', occurredAt: iso(capacityAt) },
    });
  }
  const withdrawalLevels: WithdrawalLevel[] = [];
  if (consented && survivedToDischarge && draw.chance(COHORT_RATES.withdrawal)) {
    const levels = draw.weighted({ a: 40, b: 20, c: 15, ab: 15, abc: 10 });
    // After discharge, before now: the window is at least ~40 days (the operation is 100+ days ago).
    let at =
      outcomeAt +
      Math.round(draw.uniform(1, Math.min(120, (now - outcomeAt) / DAY_MS - 10)) * 24 * 60) * MINUTE_MS;
    for (const level of [...levels] as WithdrawalLevel[]) {
      withdrawalLevels.push(level);
      consents.push({
        at,
        body: { kind: 'withdrawal', occurredAt: iso(at), withdrawalLevel: level },
      });
      at += Math.round(draw.uniform(1, 3) * 24 * 60) * MINUTE_MS;
    }
  }

  // What the registry holds: everything up to a decline (the decline included), nothing after it.
  const declinedAt = declinedBy
    ? consents.find((c) => c.body.kind === 'patient_declined' || c.body.consulteeAgreed === false)!.at
    : Number.POSITIVE_INFINITY;
  const runEndRecorded = end < declinedAt;
  const timed: Array<{ at: number; order: number; step: CohortStep }> = [
    ...complications.map((c) => ({
      at: c.at,
      order: 0,
      step: { kind: 'complication', body: c.body } as const,
    })),
    { at: outcomeAt, order: 1, step: { kind: 'outcome', body: outcome } as const },
    ...consents.map((c) => ({ at: c.at, order: 2, step: { kind: 'consent', body: c.body } as const })),
  ];
  const steps = timed
    .filter((t) => t.at < declinedAt || (t.at === declinedAt && t.step.kind === 'consent'))
    .sort((x, y) => x.at - y.at || x.order - y.order)
    .map((t) => t.step);

  const sex = draw.chance(0.7) ? 'male' : 'female';
  const givenName = draw.pick(GIVEN_NAMES[sex]);
  const familyName = draw.pick(FAMILY_NAMES);
  // Age 35-85 at the start (mostly 55-75): the birthday somewhere in the year before that age's anniversary.
  const age = Math.round(draw.normal(65, 10, 35, 84));
  const dateOfBirth = utcDay(start - (age * 365.25 + draw.uniform(30, 335)) * DAY_MS);
  const channel = draw.weighted({ sms: 60, email: 20, none: 20 });
  const email = `${givenName}.${familyName}.${index}@example.org`.toLowerCase().replace(/'/g, '');

  const enrolment: EnrolPatientDto = {
    identity: {
      nhsNumber,
      familyName,
      givenName,
      dateOfBirth,
      phone:
        channel === 'sms' || draw.chance(0.5) ? `+44 7700 900${String(index % 1000).padStart(3, '0')}` : null,
      email: channel === 'email' ? email : null,
      address: draw.chance(0.8) ? `${draw.int(1, 180)} ${draw.pick(STREETS)}, ${draw.pick(TOWNS)}` : null,
      reminderChannel: channel,
    },
    sex,
    mdtDecision: { decidedAt: iso(mdtDecisionAt), decidedBy: 'Cardiac MDT (synthetic cohort)' },
    operation: {
      operationDate,
      category,
      ...(category === 'other' ? { categoryDetail: 'Pulmonary endarterectomy' } : {}),
      urgency: draw.weighted({ elective: 40, urgent: 35, emergency: 20, salvage: 5 }),
      redo: draw.chance(0.12),
      bypassMinutes,
      crossClampMinutes: Math.round(bypassMinutes * draw.uniform(0.4, 0.7)),
      euroscoreIi: euroscoreUnknown ? null : round(draw.logNormal(8, 0.7, 0.5, 80), 2),
      ...(euroscoreUnknown ? { missing: { euroscoreIi: 'unknown' } } : {}),
    },
    ecmoRun: {
      startedAt: iso(startMinute),
      ...(runEndRecorded ? { endedAt: iso(end), endReason } : {}),
      mode: 'VA',
      startLocation: failureToWean ? 'theatre' : 'icu',
      startedFor: failureToWean ? 'failure_to_wean' : 'post_operative_shock',
      cannulation: peripheral ? 'peripheral' : 'central',
      drainageSite: peripheral ? 'femoral' : 'right_atrium',
      returnSite,
      distalPerfusion: returnSite === 'femoral' ? draw.chance(0.75) : false,
      lvUnloading: draw.weighted({
        none: 45,
        iabp: 33,
        impella: 12,
        surgical_vent: peripheral ? 0 : 10,
      }),
      preCardiacArrest: draw.chance(0.15),
      preLactate: round(draw.logNormal(5.5, 0.45, 1.2, 20), 1),
      preVis: visMissing ? null : round(draw.logNormal(45, 0.6, 5, 300), 1),
      prePh: round(draw.normal(7.25, 0.08, 6.9, 7.45), 2),
      ...(visMissing ? { missing: { preVis: 'not_done' } } : {}),
    },
    consent: {
      kind: 'emergency_enrolment',
      occurredAt: iso(enrolledAt),
      independentDoctor: `${draw.pick(INDEPENDENT_DOCTORS)} (independent of the registry)`,
      note: syntheticNote(options.seed, index),
    },
  };

  return {
    index,
    siteIndex,
    enrolment,
    steps,
    facts: {
      endReason,
      survivedToDischarge,
      declinedBy,
      withdrawalLevels,
      complications: complications.map((c) => c.body.code),
    },
  };
}

/** Patients `offset` … `offset + count − 1` of the cohort `seed`, lazily. */
export function* syntheticCohort(
  count: number,
  options: CohortOptions & { readonly offset?: number },
): Generator<SyntheticPatient> {
  const offset = options.offset ?? 0;
  for (let i = 0; i < count; i++) yield syntheticPatient(offset + i, options);
}
