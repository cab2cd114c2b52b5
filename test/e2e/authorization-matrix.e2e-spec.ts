import { randomUUID } from 'node:crypto';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isSiteRole, ROLES, routeTable, type Role, type RouteAccess } from '../../libs/access/src/index.js';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
} from '../support/access.js';
import { startApi } from '../support/apps.js';

/**
 * The authorization matrix: every route of the api (read from the app's own route table, so a new route is
 * covered, or fails here, automatically) × every role, and an API key × a record at the caller's own site
 * and one at another site. Records at the other site are real: the same request answers 2xx for a user of
 * that site and 404 for ours. Later issues add their routes' fixtures (and records) below.
 */

type Side = 'own' | 'other';
type Caller = Role | 'auditor_key' | 'data_manager_key';

const KEY_ROLES: Partial<Record<Caller, Role>> = { auditor_key: 'auditor', data_manager_key: 'data_manager' };

interface World {
  readonly ownSite: string;
  readonly otherSite: string;
  /** A user at each site, for routes about users. */
  readonly userAt: Record<Side, string>;
  /** An admin's access token, for fixtures that need a fresh record per request. */
  readonly adminToken: string;
  readonly app: NestFastifyApplication;
}

interface Fixture {
  /** The route answers 404 to a site role asking for another site's record. */
  readonly siteScoped: boolean;
  request(world: World, side: Side): Promise<{ url: string; payload?: Record<string, unknown> }>;
  /** The status when access is granted (default: any 2xx). */
  readonly granted?: (caller: Caller) => number;
  /** Further checks on a granted answer (lists: never another site's rows). */
  check?(body: unknown, world: World, caller: Caller): string | null;
}

const SITE = (world: World, side: Side) => (side === 'own' ? world.ownSite : world.otherSite);

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

const FIXTURES: Record<string, Fixture> = {
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

/** Routes open without a token: operational ones and the sign-in steps that check their own credential. */
const PUBLIC_ROUTES = [
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

describe('authorization matrix: every route × every role × own site / other site', () => {
  let app: NestFastifyApplication;
  let routes: RouteAccess[];
  let world: World;
  const tokens = {} as Record<Caller, string>;

  beforeAll(async () => {
    app = await startApi();
    routes = routeTable(app.get(DiscoveryService), app.get(MetadataScanner), app.get(Reflector));
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
    world = {
      app,
      ownSite: own.id,
      otherSite: other.id,
      userAt: { own: ownNurse.id, other: otherNurse.id },
      adminToken: admin.accessToken,
    };
    tokens['other-site nurse' as Caller] = otherNurse.accessToken;
  });

  afterAll(async () => {
    await app.close();
  });

  it('knows every route: each declares roles or is an expected public one, and has a fixture here', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      if (route.isPublic) {
        if (!PUBLIC_ROUTES.includes(name))
          problems.push(`${name} is public but not in PUBLIC_ROUTES: review it`);
      } else if (!route.roles?.length) {
        problems.push(`${name} declares no roles`);
      } else if (!FIXTURES[name]) {
        problems.push(`${name} has no fixture in the authorization matrix`);
      }
    }
    expect(problems).toEqual([]);
    expect(routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(PUBLIC_ROUTES),
    );
  });

  it('answers 401 without a token, 403 to a role not declared, 404 for another site, 2xx otherwise', async () => {
    const mismatches: string[] = [];
    const callers: Caller[] = [...ROLES, 'auditor_key', 'data_manager_key'];
    for (const route of routes.filter((r) => !r.isPublic)) {
      const name = `${route.method} ${route.path}`;
      const fixture = FIXTURES[name];
      if (!fixture || !route.roles) continue; // reported by the test above
      const anonymous = await fixture.request(world, 'own');
      const unauthenticated = await app.inject({
        method: route.method as 'GET',
        url: anonymous.url,
        payload: anonymous.payload,
      });
      if (unauthenticated.statusCode !== 401)
        mismatches.push(`${name} without a token: ${unauthenticated.statusCode}`);

      for (const caller of callers) {
        const keyRole = KEY_ROLES[caller];
        const roles: readonly Role[] = keyRole ? [keyRole] : [caller as Role];
        const allowed = roles.some((r) => route.roles!.includes(r));
        for (const side of ['own', 'other'] as const) {
          const { url, payload } = await fixture.request(world, side);
          const response = await app.inject({
            method: route.method as 'GET',
            url,
            payload,
            headers: bearer(tokens[caller]),
          });
          const siteBound = !keyRole && isSiteRole(caller as Role);
          const expected = !allowed
            ? 403
            : fixture.siteScoped && siteBound && side === 'other'
              ? 404
              : (fixture.granted?.(caller) ?? '2xx');
          const got = response.statusCode;
          const ok = expected === '2xx' ? got >= 200 && got < 300 : got === expected;
          if (!ok) {
            mismatches.push(
              `${name} as ${caller} (${side} site): expected ${expected}, got ${got} ${response.body}`,
            );
          } else if (expected === '2xx' && fixture.check) {
            const problem = fixture.check(response.json(), world, caller);
            if (problem) mismatches.push(`${name} as ${caller} (${side} site): ${problem}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('uses real records at the other site: the same requests answer 2xx to that site’s own nurse', async () => {
    const otherNurse = tokens['other-site nurse' as Caller];
    for (const [name, fixture] of Object.entries(FIXTURES).filter(([, f]) => f.siteScoped)) {
      const route = routes.find((r) => `${r.method} ${r.path}` === name)!;
      if (!route.roles?.includes('research_nurse')) continue;
      const { url, payload } = await fixture.request(world, 'other');
      const response = await app.inject({
        method: route.method as 'GET',
        url,
        payload,
        headers: bearer(otherNurse),
      });
      expect({ name, status: response.statusCode }).toEqual({ name, status: 200 });
    }
  });
});
