import { gzipSync } from 'node:zlib';
import { totpCode } from '../../libs/access/src/auth/totp.js';
import type { Benchmark } from '../lib/benchmark.js';
import { CLIENT_CORES, pinSelf, type AppProcess, type BenchEnvironment } from '../lib/environment.js';
import { ratioResult, type BenchResult } from '../lib/results.js';
import { PASSWORD } from '../http/api-client.js';
import { compare, comparisonDetails, loadSettings, type LoadTarget } from '../http/load.js';
import { API_OVERRIDES, createFixture } from '../http/setup.js';

export const WEB_TARGET = 0.6;
/** Every page's HTML, CSS and JavaScript together, gzipped (issue 26). */
export const PAGE_WEIGHT_LIMIT = 100 * 1024;

/** A browser's cookies, kept across the sign-in's redirects (fetch does not follow them for us). */
class Cookies {
  private readonly jar = new Map<string, string>();
  header(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
}

/** Signs the nurse in to the web app as a browser does (forms, CSRF tokens, cookies); answers the cookie header. */
async function webSession(base: string, email: string, totpSecret: string): Promise<string> {
  const cookies = new Cookies();
  const page = async (path: string): Promise<string> => {
    const response = await fetch(`${base}${path}`, {
      headers: { cookie: cookies.header() },
      redirect: 'manual',
    });
    cookies.take(response);
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no form on ${path} (${response.status})`);
    return token;
  };
  const post = async (path: string, form: Record<string, string>): Promise<string | null> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { cookie: cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });
    cookies.take(response);
    if (response.status !== 303) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.headers.get('location');
  };
  await post('/sign-in', { _csrf: await page('/sign-in'), email, password: PASSWORD });
  // The api's onboarding used this time step's code: the next one.
  await post('/sign-in/code', {
    _csrf: await page('/sign-in/code'),
    code: totpCode(totpSecret, Date.now() + 30_000),
  });
  return cookies.header();
}

/** The page's HTML with the CSS and JavaScript it loads, each gzipped as served: bytes. */
async function pageWeight(base: string, path: string, cookie: string): Promise<Record<string, number>> {
  const response = await fetch(`${base}${path}`, { headers: { cookie } });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  const html = await response.text();
  const sizes: Record<string, number> = { html: gzipSync(html).length };
  for (const [, url] of html.matchAll(/(?:href|src)="(\/assets\/[^"]+\.(?:css|js))"/g)) {
    const asset = await (await fetch(`${base}${url}`)).text();
    sizes[url] = gzipSync(asset).length;
    // The application script imports nhsuk-frontend's.
    for (const [, imported] of asset.matchAll(/from\s*["']\.\/([^"']+\.js)["']/g)) {
      sizes[`/assets/${imported}`] = gzipSync(
        await (await fetch(`${base}/assets/${imported}`)).text(),
      ).length;
    }
  }
  return sizes;
}

/**
 * Issue 26's speed: the web app's worklist of a site with 500 patients, and its patient page (a research
 * nurse's: the identity read and its audit row included), each against the api's JSON for the same data in
 * the same run (GET /sites/:id/worklist, GET /patients/:id), both authenticated as the same nurse; and the
 * weight of every page (HTML, CSS and JavaScript, gzipped) against 100 kB.
 */
export const benchmark: Benchmark = {
  name: 'web',
  async run(env: BenchEnvironment, options) {
    pinSelf(CLIENT_CORES);
    const settings = loadSettings(options.quick);
    const count = options.quick ? 100 : 500;
    const started: AppProcess[] = [];
    try {
      const setup = await env.spawnApp('api', { env: { ...API_OVERRIDES } });
      started.push(setup);
      const fixture = await createFixture(env, setup, count, options.log);
      await setup.stop();

      const api = await env.spawnApp('api', { env: { ...API_OVERRIDES } });
      const web = await env.spawnApp('web', { env: { ...API_OVERRIDES } });
      started.push(api, web);
      const base = `http://127.0.0.1:${web.port}`;
      const { users } = fixture;
      const cookie = await webSession(base, users.nurseEmail, users.nurseTotpSecret);
      const ids = fixture.patients.filter((p) => !p.countingOnly).map((p) => p.id);
      const site = users.site.id;

      const pair = async (
        name: string,
        webPath: () => string,
        apiPath: () => string,
      ): Promise<BenchResult> => {
        const target = (side: 'ours' | 'baseline'): LoadTarget => ({
          name: side,
          port: side === 'ours' ? web.port : api.port,
          method: 'GET',
          expectedStatus: 200,
          headers: side === 'ours' ? { cookie } : { authorization: `Bearer ${users.nurseToken}` },
          next: () => ({ path: side === 'ours' ? webPath() : apiPath() }),
        });
        const comparison = await compare(target('ours'), target('baseline'), settings, options.log);
        return ratioResult(
          name,
          comparison.ours.requestsPerSecond,
          comparison.baseline.requestsPerSecond,
          'req/s',
          WEB_TARGET,
          { ...comparisonDetails(comparison, settings), patients: count, baselineIs: 'the api’s JSON' },
        );
      };
      const rows: BenchResult[] = [];
      rows.push(
        await pair(
          `web: worklist page, ${count} patients (vs api JSON)`,
          () => `/sites/${site}/worklist`,
          () => `/sites/${site}/worklist`,
        ),
      );
      let next = 0;
      let nextApi = 0;
      rows.push(
        await pair(
          'web: patient page (vs api JSON)',
          () => `/patients/${ids[next++ % ids.length]}`,
          () => `/patients/${ids[nextApi++ % ids.length]}`,
        ),
      );

      const pages = {
        'sign-in': '/sign-in',
        worklist: `/sites/${site}/worklist`,
        patients: '/patients',
        'find a patient': '/patients/find',
        'patient page': `/patients/${ids[0]}`,
        history: `/patients/${ids[0]}/history`,
      };
      const weights: Record<string, Record<string, number>> = {};
      for (const [name, path] of Object.entries(pages)) weights[name] = await pageWeight(base, path, cookie);
      const totals = Object.fromEntries(
        Object.entries(weights).map(([name, sizes]) => [
          name,
          Object.values(sizes).reduce((a, b) => a + b, 0),
        ]),
      );
      const heaviest = Math.max(...Object.values(totals));
      rows.push({
        name: 'web: heaviest page, HTML + CSS + JS gzipped',
        ours: Math.round(heaviest / 102.4) / 10,
        baseline: null,
        unit: 'kB',
        ratio: null,
        target: '<= 100 kB',
        met: heaviest <= PAGE_WEIGHT_LIMIT,
        details: { totalsBytes: totals, bytes: weights },
      });
      return rows;
    } finally {
      for (const app of started.reverse()) await app.stop().catch(() => undefined);
    }
  },
};
