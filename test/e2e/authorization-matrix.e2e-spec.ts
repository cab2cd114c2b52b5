import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { isSiteRole, ROLES, type Role, type RouteAccess } from '../../libs/access/src/index.js';
import { bearer } from '../support/access.js';
import { startApi } from '../support/apps.js';
import {
  buildWorld,
  FIXTURES,
  KEY_ROLES,
  PUBLIC_ROUTES,
  type Caller,
  type World,
} from '../support/route-fixtures.js';

/**
 * The authorization matrix: every route of the api (read from the app's own route table, so a new route is
 * covered, or fails here, automatically) × every role, and an API key × a record at the caller's own site
 * and one at another site. Records at the other site are real: the same request answers 2xx for a user of
 * that site and 404 for ours. The fixtures (and their records) are in test/support/route-fixtures.ts.
 */

describe('authorization matrix: every route × every role × own site / other site', () => {
  let app: NestFastifyApplication;
  let routes: RouteAccess[];
  let world: World;
  let tokens: Record<Caller, string>;

  beforeAll(async () => {
    app = await startApi();
    ({ world, tokens, routes } = await buildWorld(app));
  }, 60_000);

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
        problems.push(`${name} has no fixture in test/support/route-fixtures.ts`);
      }
    }
    expect(problems).toEqual([]);
    expect(routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(PUBLIC_ROUTES),
    );
  });

  // Every route × nine callers × two sites, a fresh record for each change: about 25 s alone, more on a
  // busy machine (the e2e files run two at a time on CI's two cores).
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
        headers: anonymous.headers,
      });
      if (unauthenticated.statusCode !== 401)
        mismatches.push(`${name} without a token: ${unauthenticated.statusCode}`);

      for (const caller of callers) {
        const keyRole = KEY_ROLES[caller];
        const roles: readonly Role[] = keyRole ? [keyRole] : [caller as Role];
        const allowed = roles.some((r) => route.roles!.includes(r));
        for (const side of ['own', 'other'] as const) {
          const { url, payload, headers } = await fixture.request(world, side);
          const response = await app.inject({
            method: route.method as 'GET',
            url,
            payload,
            headers: { ...headers, ...bearer(tokens[caller]) },
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
  }, 120_000);

  it('uses real records at the other site: the same requests answer 2xx to that site’s own nurse', async () => {
    const otherNurse = tokens['other-site nurse' as Caller];
    for (const [name, fixture] of Object.entries(FIXTURES).filter(([, f]) => f.siteScoped)) {
      const route = routes.find((r) => `${r.method} ${r.path}` === name)!;
      if (!route.roles?.includes('research_nurse')) continue;
      const { url, payload, headers } = await fixture.request(world, 'other');
      const response = await app.inject({
        method: route.method as 'GET',
        url,
        payload,
        headers: { ...headers, ...bearer(otherNurse) },
      });
      const granted = response.statusCode >= 200 && response.statusCode < 300;
      expect({ name, granted, body: granted ? '' : response.body }).toEqual({
        name,
        granted: true,
        body: '',
      });
    }
  });
});
