import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import type pg from 'pg';
import type { RouteAccess } from '../../libs/access/src/index.js';
import { bearer } from '../support/access.js';
import { connect, startApi } from '../support/apps.js';
import { usePrivateDatabase } from '../support/private-database.js';
import {
  buildWorld,
  callerOf,
  FIXTURES,
  writeMark,
  type Caller,
  type FixtureRequest,
  type World,
} from '../support/route-fixtures.js';

/** Generated bodies per write route: a few hundred in CI, tens of thousands in a long run (README). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/**
 * The same bodies on every CI run (a finding must not come and go between landings); `FUZZ_SEED=random`
 * draws new ones (the long run), and a run's seed, printed on failure, replays it.
 */
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.FUZZ_SEED ?? 20_261_124);

/** Values that break naive code: types, edges of numbers and dates, unicode that storage mangles, injection. */
const NASTY: unknown[] = [
  null,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202Egnp.exe',
  '\u200B',
  'e\u0301',
  '😀👨‍👩‍👧',
  '\uFEFF',
  'ä'.repeat(5000),
  -1,
  0,
  -0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  true,
  false,
  [],
  {},
  [[[[]]]],
  { $gt: '' },
  JSON.parse('{"__proto__":{"admin":true}}') as unknown,
  '2024-02-29',
  '2023-02-29',
  '1900-01-01',
  '2100-12-31',
  '0000-01-01',
  '2026-13-01',
  '2026-03-29T01:30:00Z',
  '2026-03-29T01:30:00+00:00',
  '2026-10-25T01:30:00+01:00',
  '2026-10-25T01:30:00',
  '9999-12-31T23:59:59Z',
  '1900-01-01T00:00:00Z',
  '2100-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  'NaN',
  'Infinity',
  '1e999',
  'null',
  'undefined',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  '{"a":1}',
  '00000000-0000-0000-0000-000000000000',
  '9434765919',
];

const nasty = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A body near the route's valid one: fields replaced, removed, added, nested fields changed, or anything. */
function mutations(base: unknown, depth = 0): fc.Arbitrary<unknown> {
  const anything = fc.jsonValue({ maxDepth: 4 });
  if (!isObject(base)) return fc.oneof(nasty, anything);
  const keys = Object.keys(base);
  if (keys.length === 0) return fc.oneof(nasty, anything, fc.dictionary(fc.string({ maxLength: 12 }), nasty));
  const nested = keys.filter((k) => isObject(base[k]));
  const options: fc.Arbitrary<unknown>[] = [
    fc
      .dictionary(fc.constantFrom(...keys), nasty, { minKeys: 1, maxKeys: Math.min(3, keys.length) })
      .map((changes) => ({ ...base, ...changes })),
    fc
      .subarray(keys, { minLength: 1 })
      .map((gone) => Object.fromEntries(keys.filter((k) => !gone.includes(k)).map((k) => [k, base[k]]))),
    fc.tuple(fc.string({ minLength: 1, maxLength: 16 }), nasty).map(([k, v]) => ({ ...base, [k]: v })),
  ];
  if (nested.length > 0 && depth < 2) {
    options.push(
      fc
        .constantFrom(...nested)
        .chain((k) => mutations(base[k], depth + 1).map((v) => ({ ...base, [k]: v }))),
    );
  }
  if (depth === 0) options.push(anything);
  return fc.oneof(...options);
}

interface OpenApiSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, OpenApiSchema>;
  allOf?: OpenApiSchema[];
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: OpenApiSchema }> } }>
  >;
  components: { schemas: Record<string, OpenApiSchema> };
}

/** A field of a route's body, by dotted path, and what kind of value it takes. */
interface BodyField {
  readonly path: string;
  readonly kind: 'text' | 'date' | 'instant' | 'other';
}

/** The request body's fields of a route, from the api's own OpenAPI document (nested objects one level down). */
function bodyFields(doc: OpenApiDocument, method: string, path: string): BodyField[] {
  const openApiPath = path.replace(/:(\w+)/g, '{$1}');
  const operation = doc.paths[openApiPath]?.[method.toLowerCase()];
  const schema = operation?.requestBody?.content['application/json']?.schema;
  const resolve = (s: OpenApiSchema | undefined): OpenApiSchema | undefined =>
    s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s?.allOf?.[0] ? resolve(s.allOf[0]) : s;
  const fields: BodyField[] = [];
  const walk = (s: OpenApiSchema | undefined, prefix: string, depth: number) => {
    for (const [name, raw] of Object.entries(resolve(s)?.properties ?? {})) {
      const property = resolve(raw) ?? raw;
      const path = prefix + name;
      if (property.properties && depth === 0) {
        walk(property, `${path}.`, depth + 1);
        continue;
      }
      if (name === 'missing') continue;
      const instant = property.format === 'date-time' || /At$/.test(name);
      const date = property.format === 'date' || /(On|^date|Date|dateOfBirth|cutOff)$/.test(name);
      // A property without a type (a nullable one, as the document has them) may well be text: white space
      // in a number is refused all the same.
      const texty = property.type === 'string' || (property.type === undefined && !property.enum);
      const text = texty && !property.enum && !instant && !date && !/Id$|^id$|Ids$/.test(name);
      fields.push({ path, kind: instant ? 'instant' : date ? 'date' : text ? 'text' : 'other' });
    }
  };
  walk(schema, '', 0);
  return fields;
}

function setPath(payload: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...payload, [head]: value };
  const inner = (payload[head] ?? {}) as Record<string, unknown>;
  return { ...payload, [head]: setPath(inner, rest.join('.'), value) };
}

/** A date or instant sent that the answer shows changed (the same field, where the answer has it). */
function normalised(sent: Record<string, unknown>, answer: Record<string, unknown>): string | null {
  for (const [path, value] of Object.entries(sent)) {
    const shown = path
      .split('.')
      .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], answer);
    if (typeof shown !== 'string' || typeof value !== 'string') continue;
    const same = value.length === 10 ? shown === value : Date.parse(shown) === Date.parse(value);
    if (!same) return `${path} sent as ${value}, answered as ${shown}`;
  }
  return null;
}

/** Write routes left out, and why. */
const NOT_FUZZED: Record<string, string> = {
  'POST /auth/password':
    'every generated body has a wrong current password, which counts towards the caller’s lockout by design (and is recorded)',
};

/**
 * Issue 7's fuzzing: for every write route of the route table, fast-check bodies derived from the route's
 * valid request (its authorization-matrix fixture): fields replaced by values of the wrong type, at the
 * edges of numbers and dates, unicode that storage would mangle; fields removed or added; nested fields
 * changed; anything at all. No answer may be a 5xx, and a rejected body (4xx) changes nothing: no audit
 * event (every table but the named exceptions carries the audit trigger) and no outbox row.
 */
describe('fuzzing every write route: generated bodies', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let world: World;
  let tokens: Record<Caller, string>;
  let routes: RouteAccess[];

  let database: Awaited<ReturnType<typeof usePrivateDatabase>>;

  beforeAll(async () => {
    // Its own database: the sites, users and patients that generated bodies create stay out of other files'.
    database = await usePrivateDatabase('fuzz');
    app = await startApi();
    db = await connect('owner');
    ({ world, tokens, routes } = await buildWorld(app));
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.release();
  });

  const mark = () => writeMark(db);

  it(`answers every write route's generated bodies (${RUNS} each) with no 5xx; a rejected one changes nothing`, async () => {
    const writes = routes.filter(
      (r) =>
        !(`${r.method} ${r.path}` in NOT_FUZZED) &&
        !r.isPublic &&
        ['POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method) &&
        FIXTURES[`${r.method} ${r.path}`],
    );
    expect(writes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const route of writes) {
      const name = `${route.method} ${route.path}`;
      const fixture = FIXTURES[name];
      const token = tokens[callerOf(route)];
      let target: FixtureRequest = await fixture.request(world, 'own');
      const statuses = new Map<number, number>();
      await fc
        .assert(
          fc.asyncProperty(mutations(target.payload), async (payload) => {
            const before = await mark();
            const response = await app.inject({
              method: route.method as 'POST',
              url: target.url,
              headers: { ...target.headers, ...bearer(token) },
              payload: payload as Record<string, unknown>,
            });
            const status = response.statusCode;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            const problem =
              status >= 500
                ? `${status} ${response.body.slice(0, 300)}`
                : status >= 400 && (await mark()) !== before
                  ? `${status} but something was written: ${response.body.slice(0, 200)}`
                  : null;
            // A body that was accepted changed the record: the next case starts from a fresh one.
            if (status < 300) target = await fixture.request(world, 'own');
            if (problem) {
              failures.push(
                `${name} (FUZZ_SEED=${SEED}): ${problem} for ${JSON.stringify(payload)?.slice(0, 300)}`,
              );
              return false;
            }
            return true;
          }),
          {
            numRuns: RUNS,
            seed: SEED + writes.indexOf(route),
            endOnFailure: true,
          },
        )
        .catch(() => undefined);
      if (process.env.FUZZ_VERBOSE) console.log(name, Object.fromEntries(statuses));
    }
    expect(failures).toEqual([]);
  }, 900_000);

  it(`targeted: null on every PATCH field, white space in every text, impossible days in every date, values valid alone and wrong together (${Math.ceil(RUNS / 10)} per route): no 5xx, nothing normalised`, async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/docs-json' })).json<OpenApiDocument>();
    const writes = routes.filter(
      (r) =>
        !(`${r.method} ${r.path}` in NOT_FUZZED) &&
        !r.isPublic &&
        ['POST', 'PATCH', 'PUT'].includes(r.method) &&
        FIXTURES[`${r.method} ${r.path}`],
    );
    const failures: string[] = [];
    let cases = 0;
    for (const route of writes) {
      const name = `${route.method} ${route.path}`;
      const fields = bodyFields(doc, route.method, route.path);
      const texts = fields.filter((f) => f.kind === 'text');
      const dated = fields.filter((f) => f.kind === 'date' || f.kind === 'instant');
      const targeted: Array<{ what: string; change: Record<string, unknown>; mustRefuse: boolean }> = [
        ...(route.method === 'PATCH'
          ? fields.map((f) => ({ what: `${f.path} = null`, change: { [f.path]: null }, mustRefuse: false }))
          : []),
        ...texts.map((f) => ({ what: `${f.path} = "   "`, change: { [f.path]: '   ' }, mustRefuse: true })),
        ...dated.map((f) => ({
          what: `${f.path} on a day that does not exist`,
          change: { [f.path]: f.kind === 'date' ? '2026-02-30' : '2026-11-31T10:00:00Z' },
          mustRefuse: true,
        })),
      ];
      // Valid alone, wrong together: two dates of the record moved each to a plausible day of its own.
      if (dated.length >= 2) {
        const pairs = fc.sample(
          fc.record({
            pair: fc.shuffledSubarray(dated, { minLength: 2, maxLength: 2 }),
            days: fc.tuple(fc.integer({ min: -60, max: 0 }), fc.integer({ min: -60, max: 0 })),
            hours: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 })),
          }),
          { numRuns: Math.ceil(RUNS / 10), seed: SEED + writes.indexOf(route) },
        );
        for (const { pair, days, hours } of pairs) {
          const change: Record<string, unknown> = {};
          pair.forEach((f, i) => {
            const at = new Date(Date.now() + days[i] * 86_400_000 - hours[i] * 3_600_000);
            change[f.path] = f.kind === 'date' ? at.toISOString().slice(0, 10) : at.toISOString();
          });
          targeted.push({ what: `together ${JSON.stringify(change)}`, change, mustRefuse: false });
        }
      }
      for (const c of targeted) {
        cases += 1;
        const target = await FIXTURES[name].request(world, 'own');
        let payload = target.payload ?? {};
        for (const [path, value] of Object.entries(c.change)) payload = setPath(payload, path, value);
        const before = await mark();
        const response = await app.inject({
          method: route.method as 'POST',
          url: target.url,
          headers: { ...target.headers, ...bearer(tokens[callerOf(route)]) },
          payload,
        });
        const status = response.statusCode;
        const written = (await mark()) !== before;
        let problem: string | null = null;
        if (status >= 500) problem = `${status} ${response.body.slice(0, 200)}`;
        else if (status >= 400 && written) problem = `${status} but something was written`;
        else if (status < 300 && c.mustRefuse) problem = `${status}: accepted (stored as what?)`;
        else if (status < 300) problem = normalised(c.change, response.json<Record<string, unknown>>());
        if (problem) failures.push(`${name}, ${c.what}: ${problem}`);
      }
    }
    expect(cases).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  }, 900_000);

  /** Sends a request as the own-site nurse, and answers its status, its body and whether anything was written. */
  async function send(
    method: 'POST' | 'PATCH',
    url: string,
    options: { payload?: string | Buffer | object; headers?: Record<string, string> },
  ) {
    const before = await mark();
    const response = await app.inject({
      method,
      url,
      payload: options.payload,
      headers: { ...bearer(tokens.research_nurse), ...options.headers },
    });
    const written = (await mark()) !== before;
    return {
      status: response.statusCode,
      body: response.body,
      written,
      json: () => response.json<unknown>(),
      contentType: String(response.headers['content-type'] ?? ''),
    };
  }

  it('refuses abuse of the HTTP layer with a 4xx problem and writes nothing', async () => {
    const { url, payload } = await FIXTURES['POST /patients'].request(world, 'own');
    const body = JSON.stringify(payload);
    const cases: { name: string; status: number[]; request: Parameters<typeof send>[2] }[] = [
      // Fastify's body limit (1 MiB): the body is not read further.
      {
        name: 'a 2 MB body',
        status: [413],
        request: { payload: { ...payload, pad: 'x'.repeat(2_000_000) } },
      },
      {
        name: 'JSON nested 20,000 deep',
        status: [400],
        request: {
          payload: `{"operation":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
          headers: { 'content-type': 'application/json' },
        },
      },
      {
        name: 'malformed JSON',
        status: [400],
        request: { payload: body.slice(0, -5), headers: { 'content-type': 'application/json' } },
      },
      {
        // Nest reads text/plain as a string (then refused by validation) and forms for the dashboard sign-in.
        name: 'text/plain',
        status: [400, 415],
        request: { payload: body, headers: { 'content-type': 'text/plain' } },
      },
      {
        name: 'XML',
        status: [415],
        request: { payload: '<patient/>', headers: { 'content-type': 'application/xml' } },
      },
      {
        name: 'a form',
        status: [400, 415],
        request: { payload: 'sex=female', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      },
      {
        // JSON is UTF-8 (RFC 8259): UTF-16 bytes do not parse.
        name: 'JSON in UTF-16',
        status: [400],
        request: {
          payload: Buffer.from(body, 'utf16le'),
          headers: { 'content-type': 'application/json; charset=utf-16' },
        },
      },
      {
        name: 'a JSON array',
        status: [400],
        request: { payload: '[1,2]', headers: { 'content-type': 'application/json' } },
      },
      {
        name: 'JSON null',
        status: [400],
        request: { payload: 'null', headers: { 'content-type': 'application/json' } },
      },
      {
        name: 'an empty JSON body',
        status: [400],
        request: { payload: '', headers: { 'content-type': 'application/json' } },
      },
      {
        name: 'a prototype key',
        status: [400],
        request: {
          payload: body.replace('{', '{"__proto__":{"admin":true},'),
          headers: { 'content-type': 'application/json' },
        },
      },
    ];
    const answers = [];
    for (const c of cases) {
      const answer = await send('POST', url, c.request);
      answers.push({
        name: c.name,
        status: c.status.includes(answer.status) ? 'as expected' : answer.status,
        written: answer.written,
        // A problem-details body (RFC 9457) whose status is the answer's.
        problem:
          answer.contentType.startsWith('application/problem+json') &&
          (answer.json() as { status?: number }).status === answer.status,
      });
    }
    expect(answers).toEqual(
      cases.map((c) => ({ name: c.name, status: 'as expected', written: false, problem: true })),
    );
  });

  it('keeps free text exactly as sent, in every script; refuses text that cannot be stored as sent', async () => {
    const { url, payload } = await FIXTURES['POST /patients/:patientId/complications'].request(world, 'own');
    const texts = [
      'Zoë’s “café” – naïve façade',
      'e\u0301 (combining) and \u00e9 (precomposed) stay distinct',
      'עברית and العربية with \u202Eright-to-left override\u202C',
      'zero\u200Bwidth and \uFEFFBOM',
      '😀 👨‍👩‍👧 🇬🇧 (surrogate pairs, joiners, flags)',
      '中文 日本語 한국어',
      'tab\tnew line\nand \\ backslash',
    ];
    for (const description of texts) {
      const created = await send('POST', url, { payload: { ...payload, code: 'other', description } });
      expect({ description, status: created.status }).toEqual({ description, status: 201 });
      const { id } = created.json() as { id: string };
      const read = await app.inject({
        method: 'GET',
        url: `${url}/${id}`,
        headers: bearer(tokens.research_nurse),
      });
      expect(read.json<{ description: string }>().description).toBe(description);
    }
    for (const [description, field] of [
      ['a\u0000b', 'description'],
      ['x\uD800y', 'description'],
    ] as const) {
      const refused = await send('POST', url, {
        payload: { ...payload, code: 'other', description },
      });
      expect({ status: refused.status, written: refused.written }).toEqual({ status: 400, written: false });
      expect(refused.body).toContain(`"field":"${field}"`);
    }
  });

  it('takes dates at the edges as a clinician would: 29 February, clock changes, 1900 and 2100', async () => {
    // Each case on a fresh patient (a visit takes one appointment).
    // The month-12 visit: its window, give or take a year (the bound on booking), spans the dates below.
    const booking = (change: Record<string, unknown>) => async () => {
      const { url, payload } = await FIXTURES['POST /patients/:patientId/appointments'].request(world, 'own');
      const plan = await app.inject({
        method: 'GET',
        url: url.replace(/appointments$/, 'follow-up'),
        headers: bearer(tokens.research_nurse),
      });
      const visits = plan.json<{ visits: Array<{ id: string; code: string }> }>().visits;
      const visitId = visits.find((v) => v.code === 'month_12')?.id;
      return { url, payload: { ...payload, visitId, ...change } };
    };
    const enrolment = (dateOfBirth: string) => async () => {
      const { url, payload } = await FIXTURES['POST /patients'].request(world, 'own');
      const base = payload as { identity: Record<string, unknown> };
      return { url, payload: { ...base, identity: { ...base.identity, dateOfBirth } } };
    };
    // Each answer pinned: accepted and stored as sent (the date read back), or refused naming the field.
    const cases: {
      name: string;
      make: () => Promise<{ url: string; payload: object }>;
      status: number;
      /** Accepted: this field of the answer holds the date sent. Refused: the field the problem names. */
      field: string;
      value?: string;
    }[] = [
      {
        name: 'appointment on 29 February of a leap year',
        make: booking({ date: '2028-02-29' }),
        status: 201,
        field: 'date',
        value: '2028-02-29',
      },
      {
        name: 'appointment on 29 February of a common year',
        make: booking({ date: '2027-02-29' }),
        status: 400,
        field: 'date',
      },
      // 01:30 on 28 March 2027 does not exist in London (clocks go forward at 01:00); on 31 October it happens
      // twice: either way the time is not a single moment.
      {
        name: 'appointment in the hour the clocks skip',
        make: booking({ date: '2027-03-28', time: '01:30' }),
        status: 422,
        field: 'time',
      },
      {
        name: 'appointment in the hour the clocks repeat',
        make: booking({ date: '2027-10-31', time: '01:30' }),
        status: 422,
        field: 'time',
      },
      // Bounded to what a clinic can mean: the visit's window give or take a year.
      { name: 'appointment in 2100', make: booking({ date: '2100-01-01' }), status: 422, field: 'date' },
      // Booked ahead only.
      { name: 'appointment in 1900', make: booking({ date: '1900-01-01' }), status: 422, field: 'date' },
      {
        name: 'born in 1900',
        make: enrolment('1900-01-01'),
        status: 201,
        field: 'dateOfBirth',
        value: '1900-01-01',
      },
      {
        name: 'born on 29 February 1904',
        make: enrolment('1904-02-29'),
        status: 201,
        field: 'dateOfBirth',
        value: '1904-02-29',
      },
      // Not eligible: born after the ECMO start.
      { name: 'born in 2100', make: enrolment('2100-01-01'), status: 422, field: 'identity.dateOfBirth' },
    ];
    const answers = [];
    for (const c of cases) {
      let { url, payload } = await c.make();
      let answer = await send('POST', url, { payload });
      // Thousands of patients with random test NHS numbers live in this database: a collision is retried
      // with a new number, as the enrolment helper does.
      for (let retry = 0; retry < 3 && answer.status === 409 && answer.body.includes('NHS number'); retry++) {
        ({ url, payload } = await c.make());
        answer = await send('POST', url, { payload });
      }
      let field: string | undefined;
      if (answer.status < 300) {
        const body = answer.json() as { id: string; date?: string };
        // An enrolment answers the summary: its identity (the date of birth) is read apart.
        const read =
          c.field === 'dateOfBirth'
            ? (
                await app.inject({
                  method: 'GET',
                  url: `/patients/${body.id}/identity`,
                  headers: bearer(tokens.research_nurse),
                })
              ).json<{ dateOfBirth: string }>().dateOfBirth
            : body.date;
        field = read === c.value ? c.field : `${c.field} read back as ${read}`;
      } else {
        const errors = (answer.json() as { errors?: { field: string }[] }).errors ?? [];
        field = errors.find((e) => e.field === c.field)?.field ?? JSON.stringify(errors);
      }
      answers.push({
        name: c.name,
        status: answer.status,
        field,
        writtenWhenRefused: answer.written && answer.status >= 400,
      });
    }
    expect(answers).toEqual(
      cases.map((c) => ({ name: c.name, status: c.status, field: c.field, writtenWhenRefused: false })),
    );
  });

  it('refuses the bodies fuzzing once answered with a 500, or accepted and broke enrolment with', async () => {
    const found: { route: string; caller: Caller; change: (p: Record<string, unknown>) => object }[] = [
      {
        route: 'POST /patients',
        caller: 'research_nurse',
        change: ({ identity: _i, operation: _o, ...rest }) => rest,
      },
      // Nested validation walks an array in place of an object without a word: [[[[]]]] reached the rules.
      { route: 'POST /patients', caller: 'research_nurse', change: (p) => ({ ...p, mdtDecision: [[[[]]]] }) },
      { route: 'POST /patients/search', caller: 'research_nurse', change: () => ({ nhsNumber: null }) },
      {
        route: 'PATCH /patients/:patientId/identity',
        caller: 'research_nurse',
        change: (p) => ({ ...p, givenName: null }),
      },
      {
        route: 'PATCH /patients/:patientId/follow-up',
        caller: 'research_nurse',
        change: (p) => ({ ...p, extendedFollowUp: null }),
      },
      { route: 'PATCH /users/:userId', caller: 'admin', change: () => ({ displayName: null }) },
      { route: 'PATCH /users/:userId', caller: 'admin', change: () => ({ displayName: ' ' }) },
      { route: 'POST /sites', caller: 'admin', change: (p) => ({ ...p, name: ' ' }) },
      { route: 'PATCH /sites/:siteId', caller: 'admin', change: () => ({ name: '\u0000' }) },
      { route: 'POST /api-keys', caller: 'admin', change: (p) => ({ ...p, name: '\uFEFF' }) },
      // class-validator's IsNumber({ maxDecimalPlaces }) threw on a number in exponent form.
      {
        route: 'PATCH /patients/:patientId/ecmo-runs/:recordId',
        caller: 'research_nurse',
        change: (p) => ({ ...p, preLactate: -9e-323 }),
      },
      // Accepted before: the protocol was published, and every enrolment after it failed.
      { route: 'POST /follow-up/protocols', caller: 'admin', change: (p) => ({ ...p, visits: [[[[]]]] }) },
    ];
    const answers = [];
    for (const { route, caller, change } of found) {
      const [method, path] = route.split(' ');
      const { url, payload, headers } = await FIXTURES[route].request(world, 'own');
      const before = await mark();
      const response = await app.inject({
        method: method as 'POST',
        url,
        payload: change(payload ?? {}),
        headers: { ...headers, ...bearer(tokens[caller]) },
      });
      answers.push({
        route: `${method} ${path}`,
        status: response.statusCode,
        written: (await mark()) !== before,
      });
    }
    expect(answers).toEqual(found.map(({ route }) => ({ route, status: 400, written: false })));
  });
});
