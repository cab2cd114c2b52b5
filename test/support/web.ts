import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createWeb } from '../../apps/web/src/bootstrap.js';
import { totpCode } from '../../libs/access/src/index.js';
import { PASSWORD } from './access.js';
import { testConfig } from './apps.js';

export function startWeb(overrides: Record<string, string> = {}): Promise<NestFastifyApplication> {
  return createWeb(testConfig(overrides), { shutdownHooks: false });
}

export interface WebAnswer {
  readonly status: number;
  readonly location: string | undefined;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

/**
 * A browser without JavaScript over `inject`: it keeps the cookies the app sets, and posts each form with the
 * CSRF token of the last page it was given (as the browser posts the page's own form).
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  lastPage = '';

  constructor(private readonly app: NestFastifyApplication) {}

  async get(url: string): Promise<WebAnswer> {
    return this.send('GET', url);
  }

  /** Posts a form; `_csrf` comes from the last page unless the form gives its own (or null for none). */
  async post(url: string, form: Record<string, string | null>): Promise<WebAnswer> {
    const fields: Record<string, string> = {};
    const token = 'csrf' in form ? form.csrf : csrfOf(this.lastPage);
    if (token) fields._csrf = token;
    for (const [key, value] of Object.entries(form))
      if (key !== 'csrf' && value !== null) fields[key] = value;
    return this.send('POST', url, new URLSearchParams(fields).toString());
  }

  /** GETs the page, then posts its form with these fields. */
  async submit(url: string, form: Record<string, string>, action = url): Promise<WebAnswer> {
    const page = await this.get(url);
    if (page.status !== 200) throw new Error(`GET ${url} answered ${page.status} (${page.location ?? ''})`);
    return this.post(action, form);
  }

  /** Password, then a TOTP code (`stepsAhead` as in access.ts's signIn): the home page's answer. */
  async signIn(email: string, totpSecret: string, stepsAhead = 0): Promise<WebAnswer> {
    const password = await this.submit('/sign-in', { email, password: PASSWORD });
    if (password.location !== '/sign-in/code')
      throw new Error(`sign-in: ${password.status} ${password.location}`);
    return this.submit('/sign-in/code', { code: totpCode(totpSecret, Date.now() + stepsAhead * 30_000) });
  }

  private async send(method: 'GET' | 'POST', url: string, payload?: string): Promise<WebAnswer> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    for (const set of response.cookies) {
      const cleared = set.value === '' || (set.expires !== undefined && set.expires.getTime() <= Date.now());
      if (cleared) this.cookies.delete(set.name);
      else this.cookies.set(set.name, set.value);
    }
    if (response.headers['content-type']?.toString().startsWith('text/html')) this.lastPage = response.body;
    return {
      status: response.statusCode,
      location: response.headers.location,
      headers: response.headers,
      body: response.body,
    };
  }
}

export function csrfOf(html: string): string | null {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** The page's main heading, as text. */
export function headingOf(html: string): string {
  return (
    /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ??
    /<label[^>]*nhsuk-label--l[^>]*>([\s\S]*?)<\/label>/.exec(html)?.[1] ??
    ''
  )
    .replace(/<[^>]+>/g, '')
    .trim();
}

/** The NHS error summary's messages. */
export function errorSummaryOf(html: string): string[] {
  const start = html.indexOf('nhsuk-error-summary__list');
  if (start < 0) return [];
  const list = html.slice(start, html.indexOf('</ul>', start));
  return [...list.matchAll(/<a href="#[^"]*">([\s\S]*?)<\/a>/g)].map((m) => m[1].trim());
}
