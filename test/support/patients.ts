import { randomInt } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SYNTHETIC_NHS_NUMBER_COUNT, syntheticNhsNumber } from '../../libs/registry/src/rules/nhs-number.js';
import { bearer } from './access.js';

/** A test NHS number (999 range, never a real person), random so that test files sharing a database differ. */
export function testNhsNumber(): string {
  return syntheticNhsNumber(randomInt(SYNTHETIC_NHS_NUMBER_COUNT));
}

const DAY = 86_400_000;

/** ISO instant `days` days (and `hours`) before now: timelines in the recent past, never in the future. */
export function daysAgo(days: number, hours = 0): string {
  return new Date(Date.now() - days * DAY - hours * 3_600_000).toISOString();
}

export function dateDaysAgo(days: number): string {
  return new Date(Date.now() - days * DAY).toISOString().slice(0, 10);
}

/**
 * An eligible enrolment: 61 years old, CABG 20 days ago (or `startDaysAgo`; a day in UTC and London alike at
 * midday), VA ECMO started in theatre the same afternoon for failure to wean, MDT decision just before,
 * emergency enrolment.
 */
export function enrolment(
  overrides: Record<string, unknown> = {},
  startDaysAgo = 20,
): Record<string, unknown> {
  const operationDate = dateDaysAgo(startDaysAgo);
  const start = `${operationDate}T14:00:00.000Z`;
  return {
    identity: {
      nhsNumber: testNhsNumber(),
      familyName: "O'Test",
      givenName: 'Alex',
      dateOfBirth: '1965-04-12',
      phone: '+44 7700 900123',
      reminderChannel: 'sms',
    },
    sex: 'female',
    mdtDecision: { decidedAt: `${operationDate}T13:30:00.000Z`, decidedBy: 'Cardiac MDT' },
    operation: {
      operationDate,
      category: 'cabg',
      urgency: 'urgent',
      redo: false,
      bypassMinutes: 140,
      crossClampMinutes: 85,
      euroscoreIi: 6.4,
    },
    ecmoRun: {
      startedAt: start,
      mode: 'VA',
      startLocation: 'theatre',
      startedFor: 'failure_to_wean',
      cannulation: 'central',
      drainageSite: 'right_atrium',
      returnSite: 'aorta',
      distalPerfusion: false,
      lvUnloading: 'iabp',
      preCardiacArrest: false,
      preLactate: 7.2,
      preVis: 45,
      prePh: 7.21,
    },
    consent: {
      kind: 'emergency_enrolment',
      occurredAt: `${operationDate}T15:00:00.000Z`,
      independentDoctor: 'Dr Independent',
    },
    ...overrides,
  };
}

export interface Enrolled {
  readonly id: string;
  readonly registryId: string;
  readonly nhsNumber: string;
  readonly body: Record<string, unknown>;
}

/** Enrols through the API (a new random NHS number if one is already taken by another test). */
export async function enrol(
  app: NestFastifyApplication,
  token: string,
  overrides: Record<string, unknown> = {},
  startDaysAgo = 20,
): Promise<Enrolled> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const payload = enrolment(overrides, startDaysAgo);
    // A retry draws a new number even when the caller's identity named one (it collided with another test's).
    if (attempt > 0) payload.identity = { ...(payload.identity as object), nhsNumber: testNhsNumber() };
    const response = await app.inject({ method: 'POST', url: '/patients', headers: bearer(token), payload });
    last = `${response.statusCode} ${response.body}`;
    if (response.statusCode === 409 && response.body.includes('NHS number')) continue;
    if (response.statusCode !== 201)
      throw new Error(`enrolment failed: ${response.statusCode} ${response.body}`);
    const body = response.json<{ id: string; registryId: string }>();
    const identity = payload.identity as { nhsNumber: string };
    return { id: body.id, registryId: body.registryId, nhsNumber: identity.nhsNumber, body };
  }
  throw new Error(`enrolment failed: five random NHS numbers were all taken (last answer: ${last})`);
}

/** A complete assessment of a patient alive and well (add visitId and assessedOn). */
export const ALIVE_ASSESSMENT = {
  source: 'clinic',
  vitalStatus: 'alive',
  mrs: 1,
  nyha: 2,
  eq5dMobility: 1,
  eq5dSelfCare: 1,
  eq5dUsualActivities: 2,
  eq5dPainDiscomfort: 2,
  eq5dAnxietyDepression: 1,
  eqVas: 80,
  readmissions: 0,
  returnToWork: 'not_applicable',
};

/** The last Sunday of a month (where Europe/London changes its clocks in March and October). */
function lastSunday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  last.setUTCDate(last.getUTCDate() - last.getUTCDay());
  return last.toISOString().slice(0, 10);
}

/**
 * London's clock changes of the next year whose March change is at least a month ahead, so bookings on and
 * around both days are in the future whenever the suite runs.
 */
export function nextLondonClockChanges(now = new Date()): { march: string; october: string } {
  const year = now.getUTCFullYear() + (now.getUTCMonth() >= 1 ? 1 : 0);
  return { march: lastSunday(year, 3), october: lastSunday(year, 10) };
}
