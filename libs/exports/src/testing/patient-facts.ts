import type { PatientFacts } from '../report/facts.js';

/**
 * The report's facts of one patient, for tests (no lib imports this): full data, one 5-day run from
 * 2026-01-10 14:00 UTC, discharged alive on day 20 and the outcome recorded the next day; what the caller
 * says on top.
 */
export const FIXTURE_DAY = 86_400_000;
export const FIXTURE_START = Date.parse('2026-01-10T14:00:00Z');

export function dischargedPatient(site: string, extra: Partial<PatientFacts> = {}): PatientFacts {
  return {
    site,
    countingOnly: false,
    startedAt: FIXTURE_START,
    startYear: '2026',
    outcome: 'discharge',
    outcomeAt: FIXTURE_START + 20 * FIXTURE_DAY,
    outcomeRecordedAt: FIXTURE_START + 21 * FIXTURE_DAY,
    consentDocumented: true,
    mdtDecisionTimely: true,
    runs: [
      {
        startedAt: FIXTURE_START,
        endedAt: FIXTURE_START + 5 * FIXTURE_DAY,
        endReason: 'weaned',
        lactateAndArrestRecorded: true,
      },
    ],
    complications: [],
    visits: [],
    assessedAliveAt: null,
    assessedDeathAt: null,
    ...extra,
  };
}
