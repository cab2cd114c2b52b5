import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { isSiteRole, ROLES, routeTable, type Role, type RouteAccess } from '../../libs/access/src/index.js';
import { DEFAULT_PROTOCOL } from '../../libs/followup/src/index.js';
import { localWallClock } from '../../libs/time/src/local-time.js';
import { bearer, createAdminWithCli, createSite, createUser, onboard, uniqueEmail } from './access.js';
import type pg from 'pg';
import { connect } from './apps.js';
import { enrol, enrolment } from './patients.js';

/**
 * Every route of the api, with a request that reaches it as its roles allow: the authorization matrix sends
 * each one as every role and at two sites; the fuzz suite mutates the write routes' bodies. Records at the
 * other site are real: the same request answers 2xx for a user of that site and 404 for ours. A new route
 * needs its fixture here (the matrix fails until it has one).
 */

export type Side = 'own' | 'other';
export type Caller = Role | 'auditor_key' | 'data_manager_key';

export const KEY_ROLES: Partial<Record<Caller, Role>> = {
  auditor_key: 'auditor',
  data_manager_key: 'data_manager',
};

/** A patient at a site with one record of every kind, for the read routes. */
export interface PatientFixture {
  readonly id: string;
  readonly nhsNumber: string;
  readonly runId: string;
  readonly operationId: string;
  readonly complicationId: string;
  readonly outcomeId: string;
  readonly assessmentId: string;
  readonly appointmentId: string;
}

export interface World {
  readonly ownSite: string;
  readonly otherSite: string;
  /** A nurse's token at each site: records at a site are made by its own staff. */
  readonly nurseToken: Record<Side, string>;
  readonly patient: Record<Side, PatientFixture>;
  /** A user at each site, for routes about users. */
  readonly userAt: Record<Side, string>;
  /** An admin's access token, for fixtures that need a fresh record per request. */
  readonly adminToken: string;
  readonly app: NestFastifyApplication;
}

export interface FixtureRequest {
  readonly url: string;
  readonly payload?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

export interface Fixture {
  /** The route answers 404 to a site role asking for another site's record. */
  readonly siteScoped: boolean;
  request(world: World, side: Side): Promise<FixtureRequest>;
  /** The status when access is granted (default: any 2xx). */
  readonly granted?: (caller: Caller) => number;
  /** Further checks on a granted answer (lists: never another site's rows). */
  check?(body: unknown, world: World, caller: Caller): string | null;
}

let queuedExportId: Promise<string> | undefined;

/** An external-audit export waiting for a worker (none runs here), made once. */
function queuedExport(): Promise<string> {
  queuedExportId ??= (async () => {
    const db = await connect('owner');
    try {
      await db.query(`SELECT set_config('registry.actor', 'test:authorization-matrix', false)`);
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO audit_export (profile, cut_off, version, origin, status, requested_by, requested_at)
         SELECT 'external_audit', '2001-01-01', COALESCE(max(version), 0) + 1, 'request', 'queued', 'test', now()
           FROM audit_export WHERE profile = 'external_audit' AND cut_off = '2001-01-01'
         RETURNING id`,
      );
      return rows[0].id;
    } finally {
      await db.end();
    }
  })();
  return queuedExportId;
}

export const SITE = (world: World, side: Side) => (side === 'own' ? world.ownSite : world.otherSite);

async function freshUser(world: World, side: Side): Promise<string> {
  const response = await world.app.inject({
    method: 'POST',
    url: '/users',
    headers: bearer(world.adminToken),
    payload: {
      email: uniqueEmail('target'),
      displayName: 'Target',
      role: 'research_nurse',
      siteIds: [SITE(world, side)],
    },
  });
  return response.json<{ user: { id: string } }>().user.id;
}

async function freshApiKey(world: World): Promise<string> {
  const response = await world.app.inject({
    method: 'POST',
    url: '/api-keys',
    headers: bearer(world.adminToken),
    payload: { name: 'matrix', roles: ['auditor'] },
  });
  return response.json<{ apiKey: { id: string } }>().apiKey.id;
}

const HOUR = 3_600_000;

/**
 * A patient enrolled by the side's own nurse, their first run ended (weaned at 48 h) so that further runs,
 * complications and an outcome fit the timeline; `with` adds records through the API.
 */
async function freshPatient(
  world: World,
  side: Side,
  add: Array<'run' | 'complication' | 'outcome' | 'consent' | 'assessment'> = [],
): Promise<{ id: string; start: number; recordId: string }> {
  const start = Date.now() - 20 * 24 * HOUR;
  const base = enrolment();
  const patient = await enrol(world.app, world.nurseToken[side], {
    ...base,
    operation: { ...(base.operation as object), operationDate: new Date(start).toISOString().slice(0, 10) },
    mdtDecision: { decidedAt: new Date(start - HOUR).toISOString(), decidedBy: 'MDT' },
    ecmoRun: {
      ...(base.ecmoRun as object),
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + 48 * HOUR).toISOString(),
      endReason: 'weaned',
    },
    consent: {
      kind: 'emergency_enrolment',
      occurredAt: new Date(start).toISOString(),
      independentDoctor: 'Dr I',
    },
  });
  let recordId = '';
  for (const kind of add) {
    const [path, payload] = await recordPayload(world, side, patient.id, kind, start);
    const response = await world.app.inject({
      method: 'POST',
      url: `/patients/${patient.id}/${path}`,
      headers: bearer(world.nurseToken[side]),
      payload,
    });
    if (response.statusCode !== 201) throw new Error(`${kind}: ${response.statusCode} ${response.body}`);
    recordId = response.json<{ id: string }>().id;
  }
  return { id: patient.id, start, recordId };
}

const RECORD_PAYLOADS: Record<string, (start: number) => [string, Record<string, unknown>]> = {
  run: (start) => [
    'ecmo-runs',
    {
      startedAt: new Date(start + 72 * HOUR).toISOString(),
      mode: 'VA',
      startLocation: 'icu',
      startedFor: 'post_operative_shock',
    },
  ],
  complication: (start) => [
    'complications',
    { code: 'sepsis', onsetAt: new Date(start + 10 * HOUR).toISOString(), grade: 2 },
  ],
  outcome: (start) => [
    'outcome',
    { kind: 'discharge', occurredAt: new Date(start + 240 * HOUR).toISOString(), destination: 'home' },
  ],
  consent: (start) => [
    'consent-events',
    { kind: 'patient_consent', occurredAt: new Date(start + 96 * HOUR).toISOString() },
  ],
};

/** A record's payload; an assessment names the patient's day-30 visit (planned at decannulation). */
async function recordPayload(
  world: World,
  side: Side,
  patientId: string,
  kind: string,
  start: number,
): Promise<[string, Record<string, unknown>]> {
  if (kind !== 'assessment') return RECORD_PAYLOADS[kind](start);
  const plan = await world.app.inject({
    method: 'GET',
    url: `/patients/${patientId}/follow-up`,
    headers: bearer(world.nurseToken[side]),
  });
  const visit = plan
    .json<{ visits: Array<{ id: string; code: string }> }>()
    .visits.find((v) => v.code === 'day_30');
  return [
    'assessments',
    {
      visitId: visit?.id,
      assessedOn: new Date(start + 15 * 24 * HOUR).toISOString().slice(0, 10),
      source: 'telephone',
      vitalStatus: 'alive',
      mrs: 1,
    },
  ];
}

/**
 * A booked appointment for the patient's visit `code`, starting in five minutes (so it may already be
 * recorded as attended or missed), London local time.
 */
async function bookAppointment(world: World, side: Side, patientId: string, code: string): Promise<string> {
  const plan = await world.app.inject({
    method: 'GET',
    url: `/patients/${patientId}/follow-up`,
    headers: bearer(world.nurseToken[side]),
  });
  const visit = plan
    .json<{ visits: Array<{ id: string; code: string }> }>()
    .visits.find((v) => v.code === code);
  const at = localWallClock(new Date(Date.now() + 5 * 60_000));
  const response = await world.app.inject({
    method: 'POST',
    url: `/patients/${patientId}/appointments`,
    headers: bearer(world.nurseToken[side]),
    payload: { visitId: visit?.id, date: at.date, time: at.time, mode: 'telephone' },
  });
  if (response.statusCode !== 201) throw new Error(`appointment: ${response.statusCode} ${response.body}`);
  return response.json<{ id: string }>().id;
}

function appointmentFixture(action: string, payload?: Record<string, unknown>): Fixture {
  return {
    siteScoped: true,
    request: async (world, side) => {
      const patient = await freshPatient(world, side);
      const id = await bookAppointment(world, side, patient.id, 'day_30');
      return {
        url: `/patients/${patient.id}/appointments/${id}${action}`,
        payload,
        headers: IF_MATCH_1,
      };
    },
  };
}

const IF_MATCH_1 = { 'if-match': '"1"' };
const REASON = 'authorization matrix check';

/** Patients of a list answer that a site role may not see: those of the other site. */
function otherSitePatients(body: unknown, world: World, caller: Caller): string | null {
  if (KEY_ROLES[caller] || !isSiteRole(caller as Role)) return null;
  const ids = (body as Array<{ id: string }>).map((p) => p.id);
  return ids.includes(world.patient.other.id) ? 'lists a patient of another site' : null;
}

/** The fixtures of a clinical record kind: read the shared patient's, change a fresh patient's. */
function recordFixtures(
  path: string,
  kind: 'run' | 'complication' | 'outcome' | 'assessment',
  sharedId: (p: PatientFixture) => string,
  correction: Record<string, unknown>,
): Record<string, Fixture> {
  return {
    [`POST /patients/:patientId/${path}`]: {
      siteScoped: true,
      request: async (world, side) => {
        const patient = await freshPatient(world, side);
        const [, payload] = await recordPayload(world, side, patient.id, kind, patient.start);
        return { url: `/patients/${patient.id}/${path}`, payload };
      },
    },
    [`GET /patients/:patientId/${path}/:recordId`]: {
      siteScoped: true,
      request: (world, side) =>
        Promise.resolve({
          url: `/patients/${world.patient[side].id}/${path}/${sharedId(world.patient[side])}`,
        }),
    },
    [`PATCH /patients/:patientId/${path}/:recordId`]: {
      siteScoped: true,
      request: async (world, side) => {
        const patient = await freshPatient(world, side, [kind]);
        return {
          url: `/patients/${patient.id}/${path}/${patient.recordId}`,
          payload: { ...correction, reason: REASON },
          headers: IF_MATCH_1,
        };
      },
    },
    [`POST /patients/:patientId/${path}/:recordId/void`]: {
      siteScoped: true,
      request: async (world, side) => {
        const patient = await freshPatient(world, side, [kind]);
        return {
          url: `/patients/${patient.id}/${path}/${patient.recordId}/void`,
          payload: { reason: REASON },
          headers: IF_MATCH_1,
        };
      },
    },
  };
}

export const FIXTURES: Record<string, Fixture> = {
  'POST /patients': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/patients', payload: enrolment() }),
  },
  'GET /patients': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/patients?limit=200' }),
    check: otherSitePatients,
  },
  'POST /patients/search': {
    siteScoped: false,
    request: (world, side) =>
      Promise.resolve({ url: '/patients/search', payload: { nhsNumber: world.patient[side].nhsNumber } }),
    check: otherSitePatients,
  },
  'GET /patients/:patientId': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/patients/${world.patient[side].id}` }),
  },
  'PATCH /patients/:patientId': {
    siteScoped: true,
    request: async (world, side) => ({
      url: `/patients/${(await freshPatient(world, side)).id}`,
      payload: { sex: 'male', reason: REASON },
      headers: IF_MATCH_1,
    }),
  },
  'GET /patients/:patientId/identity': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/patients/${world.patient[side].id}/identity` }),
  },
  'PATCH /patients/:patientId/identity': {
    siteScoped: true,
    request: async (world, side) => ({
      url: `/patients/${(await freshPatient(world, side)).id}/identity`,
      payload: { givenName: 'Sam', reason: REASON },
      headers: IF_MATCH_1,
    }),
  },
  'GET /patients/:patientId/history': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/patients/${world.patient[side].id}/history` }),
  },
  'POST /patients/:patientId/transfer': {
    siteScoped: true,
    request: async (world, side) => ({
      url: `/patients/${(await freshPatient(world, side)).id}/transfer`,
      payload: { siteId: SITE(world, side === 'own' ? 'other' : 'own'), reason: REASON },
    }),
  },
  'POST /patients/:patientId/consent-events': {
    siteScoped: true,
    request: async (world, side) => {
      const patient = await freshPatient(world, side);
      const [, payload] = RECORD_PAYLOADS.consent(patient.start);
      return { url: `/patients/${patient.id}/consent-events`, payload };
    },
  },
  'POST /patients/:patientId/consent-events/:recordId/void': {
    siteScoped: true,
    request: async (world, side) => {
      const patient = await freshPatient(world, side, ['consent']);
      return {
        url: `/patients/${patient.id}/consent-events/${patient.recordId}/void`,
        payload: { reason: REASON },
        headers: IF_MATCH_1,
      };
    },
  },
  'GET /patients/:patientId/operation/:recordId': {
    siteScoped: true,
    request: (world, side) =>
      Promise.resolve({
        url: `/patients/${world.patient[side].id}/operation/${world.patient[side].operationId}`,
      }),
  },
  'PATCH /patients/:patientId/operation/:recordId': {
    siteScoped: true,
    request: async (world, side) => {
      const patient = await freshPatient(world, side);
      const summary = await world.app.inject({
        method: 'GET',
        url: `/patients/${patient.id}`,
        headers: bearer(world.nurseToken[side]),
      });
      return {
        url: `/patients/${patient.id}/operation/${summary.json<{ operation: { id: string } }>().operation.id}`,
        payload: { bypassMinutes: 150, reason: REASON },
        headers: IF_MATCH_1,
      };
    },
  },
  ...recordFixtures('ecmo-runs', 'run', (p) => p.runId, { preLactate: 5 }),
  ...recordFixtures('complications', 'complication', (p) => p.complicationId, { grade: 3 }),
  ...recordFixtures('outcome', 'outcome', (p) => p.outcomeId, { destination: 'rehabilitation' }),
  ...recordFixtures('assessments', 'assessment', (p) => p.assessmentId, { nyha: 2 }),
  'POST /patients/:patientId/appointments': {
    siteScoped: true,
    request: async (world, side) => {
      const patient = await freshPatient(world, side);
      const plan = await world.app.inject({
        method: 'GET',
        url: `/patients/${patient.id}/follow-up`,
        headers: bearer(world.nurseToken[side]),
      });
      const visits = plan.json<{ visits: Array<{ id: string; code: string }> }>().visits;
      const tomorrow = localWallClock(new Date(Date.now() + 24 * HOUR)).date;
      return {
        url: `/patients/${patient.id}/appointments`,
        payload: {
          visitId: visits.find((v) => v.code === 'day_30')?.id,
          date: tomorrow,
          time: '10:30',
          mode: 'clinic',
        },
      };
    },
  },
  'GET /patients/:patientId/appointments/:recordId': {
    siteScoped: true,
    request: (world, side) =>
      Promise.resolve({
        url: `/patients/${world.patient[side].id}/appointments/${world.patient[side].appointmentId}`,
      }),
  },
  'PATCH /patients/:patientId/appointments/:recordId': appointmentFixture('', {
    time: '11:45',
    date: localWallClock(new Date(Date.now() + 2 * 24 * HOUR)).date,
    reason: REASON,
  }),
  'POST /patients/:patientId/appointments/:recordId/cancel': appointmentFixture('/cancel', {
    reason: REASON,
  }),
  'POST /patients/:patientId/appointments/:recordId/attended': appointmentFixture('/attended'),
  'POST /patients/:patientId/appointments/:recordId/missed': appointmentFixture('/missed'),
  'POST /admin/queues/session': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/admin/queues/session' }),
  },
  'POST /exports': {
    siteScoped: false,
    request: () =>
      Promise.resolve({
        url: '/exports',
        payload: { profile: 'external_audit', cutOff: localWallClock(new Date()).date },
      }),
  },
  'GET /exports': { siteScoped: false, request: () => Promise.resolve({ url: '/exports' }) },
  'GET /exports/:exportId': {
    siteScoped: false,
    request: async () => ({ url: `/exports/${await queuedExport()}` }),
  },
  'GET /exports/:exportId/files/:file': {
    siteScoped: false,
    request: async () => ({ url: `/exports/${await queuedExport()}/files/patients.csv` }),
    // Past the guard, the export is not generated yet (no worker runs here).
    granted: () => 409,
  },
  'GET /auth/me': { siteScoped: false, request: () => Promise.resolve({ url: '/auth/me' }) },
  'POST /auth/password': {
    siteScoped: false,
    // A wrong current password: proves the caller got past the guard without ending their session. An API
    // key has no password to change.
    granted: (caller) => (KEY_ROLES[caller] ? 403 : 400),
    request: () =>
      Promise.resolve({
        url: '/auth/password',
        payload: { currentPassword: 'not the current one', newPassword: 'a long enough passphrase' },
      }),
  },
  'GET /sites': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/sites' }),
    check: (body, world, caller) => {
      const ids = (body as { id: string }[]).map((s) => s.id);
      const siteBound = !KEY_ROLES[caller] && isSiteRole(caller as Role);
      if (!ids.includes(world.ownSite)) return 'own site missing from the list';
      if (siteBound && ids.includes(world.otherSite)) return 'another site listed to a site role';
      if (!siteBound && !ids.includes(world.otherSite)) return 'registry-wide role does not see every site';
      return null;
    },
  },
  'POST /sites': {
    siteScoped: false,
    request: () =>
      Promise.resolve({
        url: '/sites',
        payload: { code: `M${randomUUID().slice(0, 6).toUpperCase().replace(/-/g, '0')}`, name: 'Matrix' },
      }),
  },
  'GET /sites/:siteId': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/sites/${SITE(world, side)}` }),
  },
  'PATCH /sites/:siteId': {
    siteScoped: true,
    request: (world, side) =>
      Promise.resolve({ url: `/sites/${SITE(world, side)}`, payload: { name: 'Renamed' } }),
  },
  'GET /sites/:siteId/appointments': {
    siteScoped: true,
    request: (world, side) =>
      Promise.resolve({
        url: `/sites/${SITE(world, side)}/appointments?from=${localWallClock(new Date()).date}&to=${localWallClock(new Date(Date.now() + 60 * 24 * HOUR)).date}`,
      }),
  },
  'GET /sites/:siteId/worklist': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/sites/${SITE(world, side)}/worklist` }),
  },
  'GET /users': { siteScoped: false, request: () => Promise.resolve({ url: '/users' }) },
  'POST /users': {
    siteScoped: false,
    request: (world, side) =>
      Promise.resolve({
        url: '/users',
        payload: {
          email: uniqueEmail('new'),
          displayName: 'New',
          role: 'research_nurse',
          siteIds: [SITE(world, side)],
        },
      }),
  },
  'GET /users/:userId': {
    siteScoped: false,
    request: (world, side) => Promise.resolve({ url: `/users/${world.userAt[side]}` }),
  },
  'PATCH /users/:userId': {
    siteScoped: false,
    request: (world, side) =>
      Promise.resolve({ url: `/users/${world.userAt[side]}`, payload: { displayName: 'Renamed' } }),
  },
  'POST /users/:userId/disable': {
    siteScoped: false,
    request: async (world, side) => ({ url: `/users/${await freshUser(world, side)}/disable` }),
  },
  'POST /users/:userId/enable': {
    siteScoped: false,
    request: async (world, side) => ({ url: `/users/${await freshUser(world, side)}/enable` }),
  },
  'POST /users/:userId/unlock': {
    siteScoped: false,
    request: async (world, side) => ({ url: `/users/${await freshUser(world, side)}/unlock` }),
  },
  'POST /users/:userId/password-reset': {
    siteScoped: false,
    request: async (world, side) => ({ url: `/users/${await freshUser(world, side)}/password-reset` }),
  },
  'POST /users/:userId/mfa-reset': {
    siteScoped: false,
    request: async (world, side) => ({ url: `/users/${await freshUser(world, side)}/mfa-reset` }),
  },
  'GET /follow-up/protocols': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/follow-up/protocols' }),
  },
  'GET /follow-up/protocols/:version': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/follow-up/protocols/1' }),
  },
  'POST /follow-up/protocols': {
    siteScoped: false,
    request: () =>
      Promise.resolve({
        url: '/follow-up/protocols',
        // The default visits again: other test files of this worker enrol onto the latest version.
        payload: { title: 'Matrix protocol', visits: DEFAULT_PROTOCOL },
      }),
  },
  'GET /patients/:patientId/follow-up': {
    siteScoped: true,
    request: (world, side) => Promise.resolve({ url: `/patients/${world.patient[side].id}/follow-up` }),
  },
  'PATCH /patients/:patientId/follow-up': {
    siteScoped: true,
    request: async (world, side) => ({
      url: `/patients/${(await freshPatient(world, side)).id}/follow-up`,
      payload: { extendedFollowUp: true, reason: REASON },
      headers: IF_MATCH_1,
    }),
  },
  'GET /value-sets': { siteScoped: false, request: () => Promise.resolve({ url: '/value-sets' }) },
  'GET /value-sets/:name': {
    siteScoped: false,
    request: () => Promise.resolve({ url: '/value-sets/complication' }),
  },
  'GET /api-keys': { siteScoped: false, request: () => Promise.resolve({ url: '/api-keys' }) },
  'POST /api-keys': {
    siteScoped: false,
    request: () =>
      Promise.resolve({ url: '/api-keys', payload: { name: 'matrix', roles: ['data_manager'] } }),
  },
  'POST /api-keys/:apiKeyId/revoke': {
    siteScoped: false,
    request: async (world) => ({ url: `/api-keys/${await freshApiKey(world)}/revoke` }),
  },
};

/** The read routes' patient at a site: one record of every kind. */
async function sharedPatient(world: Omit<World, 'patient'>, side: Side): Promise<PatientFixture> {
  const full = world as World;
  const { id } = await freshPatient(full, side);
  const ids: Record<string, string> = {};
  for (const kind of ['complication', 'outcome', 'assessment'] as const) {
    const [path, payload] = await recordPayload(full, side, id, kind, Date.now() - 20 * 24 * HOUR);
    const response = await world.app.inject({
      method: 'POST',
      url: `/patients/${id}/${path}`,
      headers: bearer(world.nurseToken[side]),
      payload,
    });
    ids[kind] = response.json<{ id: string }>().id;
  }
  const summary = await world.app.inject({
    method: 'GET',
    url: `/patients/${id}`,
    headers: bearer(world.nurseToken[side]),
  });
  const body = summary.json<{ operation: { id: string }; ecmoRuns: Array<{ id: string }> }>();
  const identity = await world.app.inject({
    method: 'GET',
    url: `/patients/${id}/identity`,
    headers: bearer(world.nurseToken[side]),
  });
  return {
    id,
    nhsNumber: identity.json<{ nhsNumber: string }>().nhsNumber,
    runId: body.ecmoRuns[0].id,
    operationId: body.operation.id,
    complicationId: ids.complication,
    outcomeId: ids.outcome,
    assessmentId: ids.assessment,
    appointmentId: await bookAppointment(full, side, id, 'month_3'),
  };
}

/**
 * Routes open without a token: operational ones, the sign-in steps that check their own credential, and the
 * queue dashboard's sign-in page and sign-out (which acts only on a valid dashboard cookie).
 */
export const PUBLIC_ROUTES = [
  'GET /admin/queues/sign-in',
  'GET /admin/queues/sign-in.js',
  'GET /admin/queues/sign-out',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /auth/login',
  'POST /auth/logout',
  'POST /auth/mfa/enrol',
  'POST /auth/mfa/verify',
  'POST /auth/password/reset',
  'POST /auth/refresh',
];

/**
 * The world the fixtures act in, on a running api: an admin, two sites with a nurse each, a user of every
 * role at the own site, an API key per key role, and a patient with one record of every kind at each site.
 */
export async function buildWorld(
  app: NestFastifyApplication,
): Promise<{ world: World; tokens: Record<Caller, string>; routes: RouteAccess[] }> {
  const tokens = {} as Record<Caller, string>;
  const routes = routeTable(app.get(DiscoveryService), app.get(MetadataScanner), app.get(Reflector));
  const email = uniqueEmail('matrix-admin');
  const admin = await onboard(app, email, await createAdminWithCli(email));
  const own = await createSite(app, admin.accessToken, 'Own Hospital');
  const other = await createSite(app, admin.accessToken, 'Other Hospital');
  tokens.admin = admin.accessToken;
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    tokens[role] = (
      await createUser(app, admin.accessToken, role, isSiteRole(role) ? [own.id] : [])
    ).accessToken;
  }
  for (const [caller, role] of Object.entries(KEY_ROLES)) {
    const key = await app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: bearer(admin.accessToken),
      payload: { name: `matrix ${caller}`, roles: [role] },
    });
    tokens[caller as Caller] = key.json<{ key: string }>().key;
  }
  // The other site has its own nurse, and its records answer 2xx to them (see the last test).
  const otherNurse = await createUser(app, admin.accessToken, 'research_nurse', [other.id]);
  const ownNurse = await createUser(app, admin.accessToken, 'research_nurse', [own.id]);
  const partial = {
    app,
    ownSite: own.id,
    otherSite: other.id,
    userAt: { own: ownNurse.id, other: otherNurse.id },
    adminToken: admin.accessToken,
    nurseToken: { own: ownNurse.accessToken, other: otherNurse.accessToken },
  };
  const world: World = {
    ...partial,
    patient: { own: await sharedPatient(partial, 'own'), other: await sharedPatient(partial, 'other') },
  };
  tokens['other-site nurse' as Caller] = otherNurse.accessToken;
  return { world, tokens, routes };
}

/** The caller a route is exercised as: an own-site nurse where allowed, else the first role it declares. */
export function callerOf(route: Pick<RouteAccess, 'roles'> | undefined): Caller {
  const roles = route?.roles ?? [];
  return roles.includes('research_nurse') ? 'research_nurse' : roles[0];
}

/**
 * Where the audit trail and the outbox stand (as text): the same before and after a request means it wrote
 * nothing (every table but the named exceptions carries the audit trigger).
 */
export async function writeMark(db: pg.Client): Promise<string> {
  const { rows } = await db.query<{ audit: string; outbox: string }>(
    `SELECT (SELECT coalesce(max(id), 0) FROM audit_event)::text AS audit,
            (SELECT coalesce(max(id::text), '') FROM outbox) AS outbox`,
  );
  return JSON.stringify(rows[0]);
}
