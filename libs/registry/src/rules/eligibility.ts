/**
 * Eligibility for the VA-ECMO postcardiotomy registry (domain guide §3 item 2), derived from recorded facts,
 * never typed in as a flag. Pure functions: every instant is a parameter, nothing reads the clock.
 */
import {
  assertInstant,
  type CalendarDate,
  DAY_MS,
  HOUR_MS,
  londonCalendarDate,
} from '../../../time/src/index.js';

export type EcmoMode = 'VA' | 'VV' | 'VAV';
export type EcmoStartLocation = 'theatre' | 'icu' | 'elsewhere';
export type EcmoStartedFor = 'failure_to_wean' | 'post_operative_shock';

/** The recorded facts eligibility is derived from: the patient's index ECMO run and index operation. */
export interface EligibilityFacts {
  /** Calendar date of birth, `YYYY-MM-DD`. */
  dateOfBirth: string;
  ecmoStart: Date;
  ecmoMode: EcmoMode;
  startLocation: EcmoStartLocation;
  startedFor: EcmoStartedFor;
  /** Calendar date of the index operation, `YYYY-MM-DD` (a date: its time is not recorded). */
  operationDate: string;
  /** When the MDT selection decision was recorded, or null when none is. */
  mdtDecisionAt: Date | null;
}

/** Configurable limits (the guide's "configurable" values, validated where the settings are loaded). */
export interface EligibilityOptions {
  /** Post-operative shock: ECMO must start at most this many calendar days after the operation day. */
  pccsLimitDays: number;
  /** Emergency start (in theatre, whatever for): the MDT decision may follow within this many hours. */
  mdtEmergencyGraceHours: number;
}

export const DEFAULT_ELIGIBILITY_OPTIONS: Readonly<EligibilityOptions> = Object.freeze({
  pccsLimitDays: 7,
  mdtEmergencyGraceHours: 24,
});

/**
 * Failure to wean from bypass happens at the end of the index operation: ECMO must start on the operation
 * day or at most this many calendar days after it (an operation that runs past midnight; a start in theatre
 * days later is a new operation). Days are London calendar days of the ECMO start.
 */
export const FAILURE_TO_WEAN_MAX_DAYS_AFTER = 1;

/**
 * Adults only: NICE's guidance covers adults; age is counted in whole years on the London calendar date of
 * the ECMO start.
 */
export const ADULT_AGE_YEARS = 18;

/**
 * The oldest age at ECMO start the registry records (the database's own limit): an older one is a mistyped
 * year, never a patient.
 */
export const MAX_AGE_AT_ECMO_START = 130;

/**
 * Why a date of birth cannot be the patient's, given their ECMO start: after the start, or an age beyond
 * MAX_AGE_AT_ECMO_START. Null when it can (whether the patient is an adult is eligibility's question).
 */
export function impossibleBirthDate(dateOfBirth: string, ecmoStart: Date): string | null {
  if (!parseIsoDate(dateOfBirth)) return 'is not a real YYYY-MM-DD date';
  const age = ageInYears(dateOfBirth, ecmoStart);
  if (age < 0) return `is after the ECMO start (${ecmoStart.toISOString()})`;
  if (age > MAX_AGE_AT_ECMO_START) {
    return `gives an age of ${age} at the ECMO start; the registry records ages up to ${MAX_AGE_AT_ECMO_START} (check the year)`;
  }
  return null;
}

export type EligibilityRule = 'adult' | 'va_mode' | 'pccs_timing' | 'mdt_decision';

export interface EligibilityFailure {
  rule: EligibilityRule;
  /** The `EligibilityFacts` field to correct (or to question). */
  field: keyof EligibilityFacts;
  message: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date in strict `YYYY-MM-DD` form, or null (2023-02-29, 2024-13-01, 2024-1-1 are null). */
function parseIsoDate(value: string): CalendarDate | null {
  const match = ISO_DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return { year, month, day };
}

/** Days since 1970-01-01 of a calendar date, so that subtracting two gives whole calendar days. */
function dayNumber(date: CalendarDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

/**
 * Age in whole years on the Europe/London calendar date of `on` (the registry is in England: ECMO started at
 * 00:30 BST on someone's 18th birthday, 23:30 UTC the day before, is on the birthday), from the calendar
 * date of birth: a person attains an age at the start of the anniversary of their birth date (Family Law
 * Reform Act 1969 s.9), so they are 18 on their 18th birthday. The registry's choice for 29 February births:
 * in a non-leap year the anniversary is 1 March (on 28 February they are still a year younger). Negative when
 * `on` precedes the birth date.
 * Throws a RangeError for a malformed or impossible date of birth or an invalid instant.
 */
export function ageInYears(dateOfBirth: string, on: Date): number {
  const birth = parseIsoDate(dateOfBirth);
  if (!birth)
    throw new RangeError(`Date of birth must be a real YYYY-MM-DD date, got ${JSON.stringify(dateOfBirth)}`);
  assertInstant(on, 'on');
  const { year, month, day } = londonCalendarDate(on);
  const beforeBirthday = month < birth.month || (month === birth.month && day < birth.day);
  return year - birth.year - (beforeBirthday ? 1 : 0);
}

/**
 * The age band of the minimal counting set (domain guide §3 item 3): 18-39, 40-49, 50-59, 60-69, 70-79, 80+.
 * Only adults are enrolled, so an age under 18 (or not a whole number) throws a RangeError.
 */
export function ageBand(age: number): string {
  if (!Number.isInteger(age) || age < ADULT_AGE_YEARS) {
    throw new RangeError(`Age band needs a whole age of ${ADULT_AGE_YEARS} or over, got ${age}`);
  }
  if (age < 40) return '18-39';
  if (age >= 80) return '80+';
  const decade = Math.floor(age / 10) * 10;
  return `${decade}-${decade + 9}`;
}

function checkOptions(options: EligibilityOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `Eligibility option ${name} must be a finite number of 0 or more, got ${String(value)}`,
      );
    }
  }
}

function adultFailures(facts: EligibilityFacts): EligibilityFailure[] {
  if (!parseIsoDate(facts.dateOfBirth)) {
    return [{ rule: 'adult', field: 'dateOfBirth', message: 'date of birth is not a real YYYY-MM-DD date' }];
  }
  const age = ageInYears(facts.dateOfBirth, facts.ecmoStart);
  if (age >= ADULT_AGE_YEARS) return [];
  const message =
    age < 0
      ? 'date of birth is after the ECMO start'
      : `aged ${age} at ECMO start; the registry is for adults (${ADULT_AGE_YEARS} or over)`;
  return [{ rule: 'adult', field: 'dateOfBirth', message }];
}

function vaModeFailures(facts: EligibilityFacts): EligibilityFailure[] {
  if (facts.ecmoMode === 'VA') return [];
  return [
    {
      rule: 'va_mode',
      field: 'ecmoMode',
      message: `ECMO mode is ${facts.ecmoMode}; the registry is for veno-arterial (VA) ECMO`,
    },
  ];
}

function pccsTimingFailures(facts: EligibilityFacts, options: EligibilityOptions): EligibilityFailure[] {
  const failures: EligibilityFailure[] = [];
  if (facts.startedFor === 'failure_to_wean' && facts.startLocation !== 'theatre') {
    failures.push({
      rule: 'pccs_timing',
      field: 'startLocation',
      message: `ECMO for failure to wean from bypass must start in theatre, not ${facts.startLocation}`,
    });
  }
  const operation = parseIsoDate(facts.operationDate);
  if (!operation) {
    failures.push({
      rule: 'pccs_timing',
      field: 'operationDate',
      message: 'operation date is not a real YYYY-MM-DD date',
    });
    return failures;
  }
  // Whole London calendar days from the operation day to the ECMO start day (0: the same day).
  const daysAfter = dayNumber(londonCalendarDate(facts.ecmoStart)) - dayNumber(operation);
  if (daysAfter < 0) {
    failures.push({
      rule: 'pccs_timing',
      field: 'ecmoStart',
      message: 'ECMO started before the index operation',
    });
  } else if (facts.startedFor === 'failure_to_wean') {
    if (daysAfter > FAILURE_TO_WEAN_MAX_DAYS_AFTER) {
      failures.push({
        rule: 'pccs_timing',
        field: 'ecmoStart',
        message:
          'ECMO for failure to wean from bypass must start on the day of the operation or the next day (an operation that runs past midnight)',
      });
    }
  } else if (daysAfter > options.pccsLimitDays) {
    failures.push({
      rule: 'pccs_timing',
      field: 'ecmoStart',
      message: `ECMO for post-operative shock must start within ${options.pccsLimitDays} days of the operation`,
    });
  }
  return failures;
}

function mdtDecisionFailures(facts: EligibilityFacts, options: EligibilityOptions): EligibilityFailure[] {
  if (facts.mdtDecisionAt === null) {
    return [{ rule: 'mdt_decision', field: 'mdtDecisionAt', message: 'no MDT selection decision recorded' }];
  }
  const afterStart = facts.mdtDecisionAt.getTime() - facts.ecmoStart.getTime();
  if (afterStart <= 0) return [];
  // An emergency start is one in theatre, whatever it was started for (domain guide §3 item 2).
  const emergency = facts.startLocation === 'theatre';
  if (emergency && afterStart <= options.mdtEmergencyGraceHours * HOUR_MS) return [];
  return [
    {
      rule: 'mdt_decision',
      field: 'mdtDecisionAt',
      message: emergency
        ? `MDT decision for an emergency start in theatre must be confirmed within ${options.mdtEmergencyGraceHours} hours of ECMO start`
        : 'MDT decision must be recorded before ECMO start',
    },
  ];
}

/**
 * The eligibility rules a patient's recorded facts break (empty when eligible), domain guide §3 item 2 after
 * NICE's 2025 evidence-generation recommendations for VA ECMO in postcardiotomy cardiogenic shock:
 * - `adult`: 18 or over on the Europe/London calendar date of ECMO start;
 * - `va_mode`: veno-arterial ECMO (VV and hybrid VAV runs are not);
 * - `pccs_timing`: started for PCCS, compared in whole calendar days between the operation date and the
 *   London calendar date of ECMO start (the operation's time is not recorded): failure to wean from bypass
 *   in theatre, on the operation day or up to {@link FAILURE_TO_WEAN_MAX_DAYS_AFTER} day after it (an
 *   operation that runs past midnight); or post-operative shock from the operation day (a start later that
 *   day is after the operation) up to `pccsLimitDays` days after it (inclusive). A start on a day before the
 *   operation always fails; a malformed operation date fails on `operationDate`;
 * - `mdt_decision`: an MDT selection decision recorded at or before ECMO start or, for an emergency start
 *   (in theatre, whatever it was started for), within `mdtEmergencyGraceHours` after it (inclusive); none
 *   fails.
 * Every rule is evaluated, so all the failures are reported at once, in the order above.
 * Throws a RangeError for an invalid instant or option.
 */
export function eligibilityFailures(
  facts: EligibilityFacts,
  options: Partial<EligibilityOptions> = {},
): EligibilityFailure[] {
  const settings: EligibilityOptions = { ...DEFAULT_ELIGIBILITY_OPTIONS, ...options };
  checkOptions(settings);
  assertInstant(facts.ecmoStart, 'ecmoStart');
  if (facts.mdtDecisionAt !== null) assertInstant(facts.mdtDecisionAt, 'mdtDecisionAt');
  return [
    ...adultFailures(facts),
    ...vaModeFailures(facts),
    ...pccsTimingFailures(facts, settings),
    ...mdtDecisionFailures(facts, settings),
  ];
}
