import fc from 'fast-check';
import { bearer, createUser } from '../support/access.js';
import { enrol } from '../support/patients.js';
import { usePrivateDatabase } from '../support/private-database.js';
import { ReminderHarness } from '../support/reminders.js';
import { londonDay } from '../../libs/time/src/index.js';

/** Command sequences per run, and their length: a few in CI, more in a long run (README). */
const RUNS = Number(process.env.MODEL_RUNS ?? 25);
/** The same sequences on every CI run; `MODEL_SEED=random` draws new ones, `MODEL_SEED=<n>` replays one. */
const SEED =
  process.env.MODEL_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.MODEL_SEED ?? 20_261_124);
const HOUR = 3_600_000;

interface ModelPatient {
  readonly id: string;
  /** The ECMO start (20 days before enrolment in the test). */
  readonly start: number;
  version: number;
  sex: string;
  readonly complications: { id: string; voided: boolean }[];
  /** Level (b): no clinical data dated after this instant. */
  dataWithdrawnAt: number | null;
  /** Withdrawal levels recorded (each at most once). */
  readonly withdrawals: Set<string>;
  /** The latest consent event: a later one is dated after it. */
  lastConsentAt: number;
  declined: boolean;
  /** The day-30 visit (planned when the run ended) and its booked appointment, if any. */
  readonly visitId: string;
  appointment: { id: string; version: number; date: string } | null;
  /** Appointments cancelled by the registry when their visit stopped being required (issue 24). */
  readonly cancelled: string[];
}

interface Model {
  readonly patients: ModelPatient[];
  readonly exports: Record<string, number>;
}

interface Real {
  readonly h: ReminderHarness;
  readonly manager: string;
}

/** How many times each command ran, over every sequence (a test that ran nothing proves nothing). */
const ran = new Map<string, number>();
const count = (name: string) => ran.set(name, (ran.get(name) ?? 0) + 1);

const pick = (model: Model, index: number): ModelPatient => model.patients[index % model.patients.length];

async function call(
  real: Real,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
  etag?: string,
) {
  return real.h.app.inject({
    method,
    url,
    payload,
    headers: { ...bearer(real.h.nurse.accessToken), ...(etag ? { 'if-match': etag } : {}) },
  });
}

/** The answer's status must be the model's; the problem's detail is shown when it is not. */
function expectStatus(step: string, response: { statusCode: number; body: string }, expected: number): void {
  const detail = response.statusCode === expected ? '' : response.body.slice(0, 300);
  expect({ step, status: response.statusCode, detail }).toEqual({ step, status: expected, detail: '' });
}

/** What the registry shows of a patient must be what the model says. */
async function agree(r: Real, p: ModelPatient): Promise<void> {
  const response = await call(r, 'GET', `/patients/${p.id}`);
  expect(response.statusCode).toBe(200);
  const body = response.json<{
    countingOnly?: true;
    version?: number;
    sex?: string;
    complications?: { id: string; voided: object | null }[];
    consent?: { dataCollectionWithdrawnAt: string | null };
  }>();
  if (p.declined) {
    expect(body.countingOnly).toBe(true);
    return;
  }
  expect({
    version: body.version,
    sex: body.sex,
    complications: body.complications?.map((c) => ({ id: c.id, voided: c.voided !== null })),
    dataWithdrawnAt: body.consent?.dataCollectionWithdrawnAt,
  }).toEqual({
    version: p.version,
    sex: p.sex,
    complications: expect.arrayContaining(p.complications) as unknown,
    dataWithdrawnAt: p.dataWithdrawnAt === null ? null : new Date(p.dataWithdrawnAt).toISOString(),
  });
  expect(body.complications).toHaveLength(p.complications.length);
  if (p.appointment) {
    const appointment = await call(r, 'GET', `/patients/${p.id}/appointments/${p.appointment.id}`);
    expect(appointment.json<{ status: string; date: string; version: number }>()).toMatchObject({
      status: 'booked',
      date: p.appointment.date,
      version: p.appointment.version,
    });
  }
  for (const id of p.cancelled) {
    const appointment = await call(r, 'GET', `/patients/${p.id}/appointments/${id}`);
    expect(appointment.json<{ status: string; cancelReason: string }>()).toMatchObject({
      status: 'cancelled',
      cancelReason: expect.stringMatching(/^visit not required: /) as unknown,
    });
  }
}

/** The day-30 visit is no longer required (a decline, a level (b) withdrawal): its appointment is cancelled. */
function visitEnded(p: ModelPatient): void {
  if (p.appointment) p.cancelled.push(p.appointment.id);
  p.appointment = null;
}

class Enrol implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.patients.length < 4;
  async run(m: Model, r: Real) {
    count('Enrol');
    const enrolled = await enrol(r.h.app, r.h.nurse.accessToken);
    const summary = (await call(r, 'GET', `/patients/${enrolled.id}`)).json<{
      version: number;
      ecmoRuns: { id: string; startedAt: string }[];
    }>();
    const [run] = summary.ecmoRuns;
    const start = Date.parse(run.startedAt);
    // Weaned after 48 h: the follow-up visits are planned.
    const runUrl = `/patients/${enrolled.id}/ecmo-runs/${run.id}`;
    const read = await call(r, 'GET', runUrl);
    const ended = await call(
      r,
      'PATCH',
      runUrl,
      { endedAt: new Date(start + 48 * HOUR).toISOString(), endReason: 'weaned', reason: 'decannulated' },
      read.headers.etag,
    );
    expect(ended.statusCode).toBe(200);
    const plan = (await call(r, 'GET', `/patients/${enrolled.id}/follow-up`)).json<{
      visits: { id: string; code: string }[];
    }>();
    const p: ModelPatient = {
      id: enrolled.id,
      start,
      version: summary.version,
      sex: 'female',
      complications: [],
      dataWithdrawnAt: null,
      withdrawals: new Set(),
      // The enrolment's emergency-enrolment event, an hour after the start (test/support/patients.ts).
      lastConsentAt: start + HOUR,
      declined: false,
      visitId: plan.visits.find((v) => v.code === 'day_30')!.id,
      appointment: null,
      cancelled: [],
    };
    m.patients.push(p);
    await agree(r, p);
  }
  toString = () => 'enrol';
}

/** A correction of the patient's sex, with the current ETag or a stale one. */
class CorrectSex implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly sex: 'female' | 'male',
    readonly stale: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.patients.length > 0;
  async run(m: Model, r: Real) {
    count('CorrectSex');
    const p = pick(m, this.index);
    const etag = `"${this.stale ? p.version + 3 : p.version}"`;
    const response = await call(
      r,
      'PATCH',
      `/patients/${p.id}`,
      { sex: this.sex, reason: 'model check' },
      etag,
    );
    const expected = p.declined || this.stale ? 409 : 200;
    expectStatus(this.toString(), response, expected);
    if (expected === 200) {
      p.version += 1;
      p.sex = this.sex;
    }
    await agree(r, p);
  }
  toString = () => `correct sex of #${this.index} to ${this.sex}${this.stale ? ' (stale ETag)' : ''}`;
}

/** A complication some hours after the ECMO start: refused (409) after a decline, or dated after a level-b withdrawal. */
class AddComplication implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly hours: number,
  ) {}
  check = (m: Readonly<Model>) => m.patients.length > 0;
  async run(m: Model, r: Real) {
    count('AddComplication');
    const p = pick(m, this.index);
    const onset = p.start + this.hours * HOUR;
    const response = await call(r, 'POST', `/patients/${p.id}/complications`, {
      code: 'sepsis',
      onsetAt: new Date(onset).toISOString(),
      grade: 2,
    });
    const expected = p.declined || (p.dataWithdrawnAt !== null && onset > p.dataWithdrawnAt) ? 409 : 201;
    expectStatus(this.toString(), response, expected);
    if (expected === 201) p.complications.push({ id: response.json<{ id: string }>().id, voided: false });
    await agree(r, p);
  }
  toString = () => `complication of #${this.index} at hour ${this.hours}`;
}

class VoidComplication implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly which: number,
  ) {}
  check = (m: Readonly<Model>) => m.patients.some((p) => p.complications.some((c) => !c.voided));
  async run(m: Model, r: Real) {
    count('VoidComplication');
    const candidates = m.patients.filter((p) => p.complications.some((c) => !c.voided));
    const p = candidates[this.index % candidates.length];
    const live = p.complications.filter((c) => !c.voided);
    const c = live[this.which % live.length];
    const read = await call(r, 'GET', `/patients/${p.id}/complications/${c.id}`);
    const response = await call(
      r,
      'POST',
      `/patients/${p.id}/complications/${c.id}/void`,
      { reason: 'entered on the wrong patient' },
      // A counting-only patient's records cannot be read: the void names a version anyway.
      read.headers.etag ?? '"1"',
    );
    const expected = p.declined ? 409 : 200;
    expectStatus(this.toString(), response, expected);
    if (expected === 200) c.voided = true;
    await agree(r, p);
  }
  toString = () => `void complication ${this.which} of candidate #${this.index}`;
}

/**
 * A withdrawal at a level, dated some hours after the ECMO start (or just after the latest consent event, as
 * events are appended in time order): refused after a decline, or at a level already recorded (409).
 */
class Withdraw implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly level: 'a' | 'b' | 'c',
    readonly hours: number,
  ) {}
  check = (m: Readonly<Model>) => m.patients.length > 0;
  async run(m: Model, r: Real) {
    count('Withdraw');
    const p = pick(m, this.index);
    const at = Math.max(p.start + this.hours * HOUR, p.lastConsentAt + HOUR);
    const response = await call(r, 'POST', `/patients/${p.id}/consent-events`, {
      kind: 'withdrawal',
      occurredAt: new Date(at).toISOString(),
      withdrawalLevel: this.level,
    });
    const expected = p.declined || p.withdrawals.has(this.level) ? 409 : 201;
    expectStatus(this.toString(), response, expected);
    if (expected === 201) {
      p.withdrawals.add(this.level);
      p.lastConsentAt = at;
      if (this.level === 'b') {
        p.dataWithdrawnAt = at;
        // The day-30 window is weeks ahead of any withdrawal here: the visit is no longer required.
        visitEnded(p);
      }
    }
    await agree(r, p);
  }
  toString = () => `withdrawal (${this.level}) of #${this.index} at hour ${this.hours}`;
}

class Decline implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.patients.length > 0;
  async run(m: Model, r: Real) {
    count('Decline');
    const p = pick(m, this.index);
    const response = await call(r, 'POST', `/patients/${p.id}/consent-events`, {
      kind: 'patient_declined',
      occurredAt: new Date(Date.now() - 60_000).toISOString(),
    });
    // After a withdrawal a change of mind is another withdrawal level, not a decline.
    const expected = p.declined || p.withdrawals.size > 0 ? 409 : 201;
    expectStatus(this.toString(), response, expected);
    if (expected === 201) {
      p.declined = true;
      visitEnded(p);
    }
    await agree(r, p);
  }
  toString = () => `decline by #${this.index}`;
}

/**
 * The day-30 visit booked some days ahead, at 10:30 London time: refused when booked already, declined, or
 * withdrawn from data collection (the visit is no longer required).
 */
class Book implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly daysAhead: number,
  ) {}
  check = (m: Readonly<Model>) => m.patients.length > 0;
  async run(m: Model, r: Real) {
    count('Book');
    const p = pick(m, this.index);
    const date = londonDay(new Date(Date.now() + this.daysAhead * 24 * HOUR));
    const response = await call(r, 'POST', `/patients/${p.id}/appointments`, {
      visitId: p.visitId,
      date,
      time: '10:30',
      mode: 'clinic',
    });
    // After a level-b withdrawal the visit is no longer required (domain guide §4).
    const expected = p.declined || p.appointment || p.dataWithdrawnAt !== null ? 409 : 201;
    expectStatus(this.toString(), response, expected);
    if (expected === 201) p.appointment = { id: response.json<{ id: string }>().id, version: 1, date };
    await agree(r, p);
  }
  toString = () => `book day 30 of #${this.index} in ${this.daysAhead} days`;
}

/** The booked appointment moved to another day, with its ETag. */
class Move implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly daysAhead: number,
  ) {}
  check = (m: Readonly<Model>) => m.patients.some((p) => p.appointment);
  async run(m: Model, r: Real) {
    count('Move');
    const booked = m.patients.filter((p) => p.appointment);
    const p = booked[this.index % booked.length];
    const appointment = p.appointment!;
    const date = londonDay(new Date(Date.now() + this.daysAhead * 24 * HOUR));
    const response = await call(
      r,
      'PATCH',
      `/patients/${p.id}/appointments/${appointment.id}`,
      { date, time: '11:15', reason: 'the patient asked' },
      `"${appointment.version}"`,
    );
    const expected = p.declined ? 409 : 200;
    expectStatus(this.toString(), response, expected);
    if (expected === 200) p.appointment = { ...appointment, version: appointment.version + 1, date };
    await agree(r, p);
  }
  toString = () => `move booked #${this.index} to ${this.daysAhead} days ahead`;
}

/** An export request: the next version for today and the profile. */
class RequestExport implements fc.AsyncCommand<Model, Real> {
  constructor(readonly profile: 'internal' | 'external_audit') {}
  check = () => true;
  async run(m: Model, r: Real) {
    count('RequestExport');
    const response = await r.h.app.inject({
      method: 'POST',
      url: '/exports',
      headers: bearer(r.manager),
      payload: { profile: this.profile, cutOff: londonDay(new Date()) },
    });
    m.exports[this.profile] = (m.exports[this.profile] ?? 0) + 1;
    expect(response.statusCode).toBe(202);
    expect(response.json<{ version: number }>().version).toBe(m.exports[this.profile]);
  }
  toString = () => `export ${this.profile}`;
}

const index = fc.nat({ max: 9 });
const commands = [
  fc.constant(new Enrol()),
  fc
    .tuple(index, fc.constantFrom('female', 'male' as const), fc.boolean())
    .map(([i, s, st]) => new CorrectSex(i, s, st)),
  fc.tuple(index, fc.integer({ min: 1, max: 19 * 24 })).map(([i, h]) => new AddComplication(i, h)),
  fc.tuple(index, fc.nat({ max: 5 })).map(([i, w]) => new VoidComplication(i, w)),
  fc
    .tuple(index, fc.constantFrom('a', 'b', 'c' as const), fc.integer({ min: 2, max: 19 * 24 }))
    .map(([i, l, h]) => new Withdraw(i, l, h)),
  index.map((i) => new Decline(i)),
  fc.tuple(index, fc.integer({ min: 2, max: 20 })).map(([i, d]) => new Book(i, d)),
  fc.tuple(index, fc.integer({ min: 2, max: 20 })).map(([i, d]) => new Move(i, d)),
  fc.constantFrom('internal', 'external_audit' as const).map((p) => new RequestExport(p)),
];

/**
 * Issue 7's model-based test: random sequences of enrolment, correction (with current and stale ETags),
 * complications dated anywhere in the stay, voids, withdrawals at each level, declines and export requests,
 * run against the real api and database and, step by step, against a small in-memory model of the rules: a
 * decline leaves only the counting set and refuses every change (409), and is itself refused after a
 * withdrawal (409: a change of mind is another withdrawal level); a level-b withdrawal refuses data
 * dated after it (409); a stale ETag is refused (409) and changes nothing; export versions count up. After
 * every step the patient the registry shows is the model's.
 */
describe('model-based: command sequences against a model of the registry’s rules', () => {
  let database: Awaited<ReturnType<typeof usePrivateDatabase>>;
  let real: Real;

  beforeAll(async () => {
    database = await usePrivateDatabase('model');
    const h = await ReminderHarness.start('model');
    real = { h, manager: (await createUser(h.app, h.admin.accessToken, 'data_manager', [])).accessToken };
  }, 60_000);

  afterAll(async () => {
    await real?.h.close();
    await database?.release();
  });

  it(`keeps the registry and the model in step over ${RUNS} random sequences`, async () => {
    // Export versions are per cut-off and profile over the whole database: each sequence starts from them.
    let exportsSoFar: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'large' }), async (cmds) => {
        const model: Model = { patients: [], exports: { ...exportsSoFar } };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        exportsSoFar = model.exports;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    if (process.env.MODEL_VERBOSE) console.log(Object.fromEntries(ran));
    for (const name of [
      'Enrol',
      'CorrectSex',
      'AddComplication',
      'VoidComplication',
      'Withdraw',
      'Decline',
      'Book',
      'Move',
      'RequestExport',
    ])
      expect({ name, ran: (ran.get(name) ?? 0) > 0 }).toEqual({ name, ran: true });
  }, 600_000);
});
