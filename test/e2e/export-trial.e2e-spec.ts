import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nhsNumberProblem } from '../../libs/registry/src/rules/nhs-number.js';
import { syntheticCohort } from '../../libs/registry/src/synthetic/cohort.js';
import { loadCohort } from '../../libs/registry/src/synthetic/load-cohort.js';
import { QueueName, QueueService } from '../../libs/queue/src/index.js';
import { bearer, createUser } from '../support/access.js';
import { eventually } from '../support/apps.js';
import { usePrivateDatabase } from '../support/private-database.js';
import { ReminderHarness } from '../support/reminders.js';
import { londonDay } from '../../libs/time/src/index.js';
import { exposures } from '../../libs/exports/src/disclosure/intruder.js';
import type { AuditReport } from '../../libs/exports/src/report/audit-report.js';
import { readerView } from '../../libs/exports/src/report/reader-view.js';
import { Pseudonymiser } from '../../libs/exports/src/index.js';
import { checkKAnonymity } from '../support/k-anonymity-check.js';

const run = promisify(execFile);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// A cohort of its own in a database of its own, so every figure of the report can be checked exactly. Twenty
// sites: the smallest have a handful of patients a year, which the external profile must star.
const SEED = 20_261_124;
const OFFSET = 700_000;
const PATIENTS = 2000;
const SITES = 20;

interface ExportFile {
  name: string;
  sha256: string;
}
interface ExportView {
  id: string;
  status: string;
  version: number;
  patients: number;
  files: ExportFile[];
}
type Shown = number | '*';
interface Report {
  treated: {
    periods: string[];
    sites: { site: string; byPeriod: Shown[]; total: Shown }[];
    byPeriod: number[];
    total: number;
    countingOnly: number;
  };
  outcomes: { measure: string; overall: { numerator: number; denominator: number } }[];
  survival: {
    origin: string;
    n: number;
    steps: { censored: number }[];
    at: { days: number; atRisk: number }[];
  }[];
}

/** Words and numbers of a file, as a reader would pick them out (an e-mail address or an id stays whole). */
const tokensOf = (text: string) =>
  new Set(text.split(/[^A-Za-z0-9@.'+_-]+/).map((t) => t.replace(/^[.'+_-]+|[.'+_-]+$/g, '')));

/**
 * Issue 6's "done means", tried as a new user would: 2,000 synthetic patients loaded through the services,
 * an external-audit export asked for over the api, made by the worker and downloaded, then made again by the
 * CLI in a fresh process. Every file is scanned for identifiers; the report's tables are checked against the
 * cohort as generated; the HTML report shows what the JSON says. (Looking at the HTML rendered is a manual
 * step, described in the README.)
 */
describe('audit export trial: 2,000 synthetic patients, an external export, downloaded and made again', () => {
  let database: Awaited<ReturnType<typeof usePrivateDatabase>>;
  const now = new Date();
  const cohort = [...syntheticCohort(PATIENTS, { seed: SEED, now, sites: SITES, offset: OFFSET })];
  const cutOff = londonDay(now);
  let h: ReminderHarness;
  let dir: string;
  let manager: string;
  let view: ExportView;
  const downloaded = new Map<string, Buffer>();

  beforeAll(async () => {
    database = await usePrivateDatabase('trial');
    dir = await mkdtemp(join(tmpdir(), 'ecmo-export-trial-'));
    h = await ReminderHarness.start('trial', { EXPORT_DIR: dir });
    manager = (await createUser(h.app, h.admin.accessToken, 'data_manager', [])).accessToken;
    const summary = await loadCohort(h.app, {
      patients: PATIENTS,
      sites: SITES,
      seed: SEED,
      offset: OFFSET,
      now,
    });
    expect(summary).toMatchObject({ patients: PATIENTS, skipped: 0 });
  }, 600_000);

  /** Asks the api for an export of the cohort and waits until the worker has made it. */
  async function requestReady(profile: string): Promise<ExportView> {
    const asked = await h.app.inject({
      method: 'POST',
      url: '/exports',
      headers: bearer(manager),
      payload: { profile, cutOff },
    });
    expect(asked.statusCode).toBe(202);
    const { id } = asked.json<ExportView>();
    return eventually(
      async () => {
        const current = (
          await h.app.inject({ method: 'GET', url: `/exports/${id}`, headers: bearer(manager) })
        ).json<ExportView>();
        if (current.status === 'failed') throw new Error(`export failed: ${JSON.stringify(current)}`);
        return current.status === 'ready' ? current : undefined;
      },
      180_000,
      250,
    );
  }

  afterAll(async () => {
    await h?.app.get(QueueService).queue(QueueName.Exports).obliterate({ force: true });
    await h?.close();
    await database?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('is asked for over the api, made by the worker and downloaded file by file, each matching its SHA-256', async () => {
    view = await requestReady('external_audit');
    const id = view.id;
    const counted = cohort.filter((p) => p.facts.declinedBy !== null).length;
    expect(view.patients).toBeLessThanOrEqual(PATIENTS - counted);
    expect(view.patients).toBeGreaterThan(PATIENTS * 0.8);
    for (const file of view.files) {
      const response = await h.app.inject({
        method: 'GET',
        url: `/exports/${id}/files/${file.name}`,
        headers: bearer(manager),
      });
      expect(response.statusCode).toBe(200);
      expect(sha256(response.rawPayload)).toBe(file.sha256);
      downloaded.set(file.name, response.rawPayload);
    }
    expect(downloaded.size).toBe(13);
  }, 180_000);

  it('holds no NHS number, name, address, registry ID or internal id in any file', async () => {
    expect(downloaded.size).toBe(13);
    const { rows } = await h.db.query<{ id: string; registry_id: string }>(
      `SELECT id, registry_id FROM patient`,
    );
    expect(rows).toHaveLength(PATIENTS);
    const forbidden = new Set<string>();
    for (const p of cohort) {
      const { nhsNumber, givenName, familyName, dateOfBirth, email, phone, address } = p.enrolment.identity;
      forbidden.add(nhsNumber).add(givenName).add(familyName).add(dateOfBirth);
      if (email) forbidden.add(email);
      if (phone) forbidden.add(phone.replace(/\D/g, ''));
      for (const word of address?.split(/[ ,]+/).filter((w) => /^[A-Z][a-z]/.test(w)) ?? [])
        forbidden.add(word);
    }
    for (const r of rows) forbidden.add(r.id).add(r.registry_id);
    for (const [name, bytes] of downloaded) {
      const text = bytes.toString('utf8');
      const tokens = tokensOf(text);
      const found = [...forbidden].filter((identifier) => tokens.has(identifier));
      // Any ten digits that pass the NHS number check, spaced or not, whoever's they are.
      const numbers = [...text.matchAll(/(?<![\w.-])(\d{3}) ?(\d{3}) ?(\d{4})(?![\w.-])/g)]
        .map((m) => m[1] + m[2] + m[3])
        .filter((digits) => nhsNumberProblem(digits) === null);
      const phones = text.match(/\+44 ?7700/g) ?? [];
      expect({ name, found, numbers, phones }).toEqual({ name, found: [], numbers: [], phones: [] });
    }
  });

  it('is 5-anonymous: the checker, reading the files only, finds no group of fewer than 5 patients and no rare value', () => {
    const files = new Map([...downloaded].map(([name, bytes]) => [name, bytes.toString('utf8')]));
    const checked = checkKAnonymity(files, 5);
    expect(checked.patients).toBe(view.patients);
    expect(checked.smallestGroup).toBeGreaterThanOrEqual(5);
    expect(checked.rareValues).toEqual([]);
    // The manifest says what was done, and the checker agrees with its smallest group.
    const manifest = JSON.parse(files.get('manifest.json')!) as {
      kAnonymity: { k: number; smallestGroup: number; generalisation: Record<string, string> };
    };
    expect(manifest.kAnonymity).toMatchObject({ k: 5, smallestGroup: checked.smallestGroup });
    expect(Object.keys(manifest.kAnonymity.generalisation).sort()).toEqual([
      'age',
      'dates',
      'duration',
      'place',
      'sex',
    ]);
  });

  it('reports the patients treated and survival to discharge exactly as the cohort was made, small sites starred', async () => {
    const report = JSON.parse(downloaded.get('audit_report.json')!.toString('utf8')) as Report;
    // Sites appear as the files show them: the manifest says at which level.
    const manifest = JSON.parse(downloaded.get('manifest.json')!.toString('utf8')) as {
      kAnonymity: { generalisation: { place: string } };
    };
    const level = manifest.kAnonymity.generalisation.place;
    const keying = new Pseudonymiser(process.env.EXPORT_PSEUDONYM_KEY!, 1);
    const sites = new Map(
      (
        await h.db.query<{ id: string; code: string; region: string | null }>(
          `SELECT id, code, region FROM site`,
        )
      ).rows.map((s) => [s.code, s]),
    );
    const placeOf = (code: string) => {
      const site = sites.get(code)!;
      if (level.startsWith('site')) return `site-${keying.pseudonym(`site:${site.id}`).slice(0, 10)}`;
      if (level.startsWith('NHS England region')) return site.region ?? 'region_not_recorded';
      return 'ALL';
    };
    // The table the cohort implies: site × London year of ECMO start, every patient whatever their consent.
    const yearOf = (p: (typeof cohort)[number]) =>
      londonDay(new Date(p.enrolment.ecmoRun.startedAt)).slice(0, 4);
    const expected = new Map<string, Map<string, number>>();
    for (const p of cohort) {
      const site = placeOf(`SYN${p.siteIndex + 1}`);
      const year = yearOf(p);
      const row = expected.get(site) ?? new Map<string, number>();
      row.set(year, (row.get(year) ?? 0) + 1);
      expected.set(site, row);
    }
    const { treated } = report;
    expect(treated.total).toBe(PATIENTS);
    // Counted only: those who declined, and those who withdrew at level (c).
    expect(treated.countingOnly).toBe(
      cohort.filter((p) => p.facts.declinedBy !== null || p.facts.withdrawalLevels.includes('c')).length,
    );
    expect(treated.byPeriod).toEqual(
      treated.periods.map((year) => cohort.filter((p) => yearOf(p) === year).length),
    );
    expect(treated.sites.map((s) => s.site).sort()).toEqual([...expected.keys()].sort());
    // By site, all years together: a site's years are not published apart (national only).
    for (const row of treated.sites) {
      const exact = [...expected.get(row.site)!.values()].reduce((a, b) => a + b, 0);
      const cell = { site: row.site, exact, shown: row.total, byYear: row.byPeriod };
      if (exact <= 7) expect(cell).toEqual({ ...cell, shown: '*', byYear: [] });
      // Larger counts are rounded to 5, or starred to protect a small one (secondary suppression).
      else if (row.total !== '*')
        expect(cell).toEqual({ ...cell, shown: Math.round(exact / 5) * 5, byYear: [] });
    }

    // Survival to discharge: every patient whose hospital outcome is recorded (a decline stops the record).
    const outcomes = cohort.flatMap((p) => p.steps.filter((s) => s.kind === 'outcome'));
    const discharge = report.outcomes.find((o) => o.measure === 'survival_to_discharge')!;
    expect(discharge.overall).toMatchObject({
      numerator: outcomes.filter((s) => s.kind === 'outcome' && s.body.kind === 'discharge').length,
      denominator: outcomes.length,
    });
  });

  it('shows in the HTML report the same tables, and the survival curve with its band and numbers at risk', () => {
    const report = JSON.parse(downloaded.get('audit_report.json')!.toString('utf8')) as Report;
    const html = downloaded.get('audit_report.html')!.toString('utf8');
    expect(html).not.toMatch(/<script|<link|src=|href="http/i);
    for (const row of report.treated.sites) {
      const cells = [...row.byPeriod, row.total].map((c) => `<td>${c}</td>`).join('');
      expect(html).toContain(`<tr><th scope="row">${row.site}</th>${cells}</tr>`);
    }
    const [fromStart] = report.survival;
    expect(fromStart.n).toBe(PATIENTS - report.treated.countingOnly);
    expect(html).toMatch(/<svg [^>]*aria-label="Kaplan–Meier survival from the start of ECMO/);
    // The curve and its shaded 95% band. Hundreds of patients are censored at discharge (the synthetic cohort
    // has no follow-up visits): too many ticks to tell apart, so none are drawn and the caption says so.
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect(svg).toMatch(/<polygon class="band" points="[\d., ]+"\/>/);
    expect(svg).toMatch(/<path class="curve" d="M[\d., HV]+"\/>/);
    const censoredTimes = fromStart.steps.filter((step) => step.censored > 0);
    expect(censoredTimes.length).toBeGreaterThan(100);
    expect(svg).toContain('<g class="censor"></g>');
    const censored = censoredTimes.reduce((sum, step) => sum + step.censored, 0);
    expect(html).toContain(`censoring not marked (${censored} patients at ${censoredTimes.length} times)`);
    expect(html).toContain(`<tr><th scope="row">0</th><td>${fromStart.n}</td><td>100.0%</td>`);
    for (const at of fromStart.at)
      expect(html).toContain(`<tr><th scope="row">${at.days}</th><td>${at.atRisk}</td>`);
  });

  it('publishes the cohort with no small count a reader can narrow: the intruder given the publication and the exact internal report', async () => {
    const reportOf = async (profile: string) => {
      const { id } = await requestReady(profile);
      const file = await h.app.inject({
        method: 'GET',
        url: `/exports/${id}/files/audit_report.json`,
        headers: bearer(manager),
      });
      return JSON.parse(file.body) as AuditReport;
    };
    const publication = await reportOf('publication');
    const exact = await reportOf('internal');
    expect(exact.disclosure).toBeNull();
    const found = await exposures({ view: readerView(publication), truth: readerView(exact) }, null, 5);
    expect(found).toEqual([]);
    // There were small counts to protect: some site figures are starred.
    expect(JSON.stringify(publication.outcomes)).toContain('"*"');
  }, 400_000);

  it('is made again byte for byte by the CLI in a fresh process: every file but the manifest', async () => {
    expect(downloaded.size).toBe(13);
    const { stdout } = await run(
      process.execPath,
      ['dist/apps/cli/src/main.js', 'export', '--profile', 'external_audit', '--cut-off', cutOff],
      { env: { ...process.env, EXPORT_DIR: dir, LOG_LEVEL: 'silent' } },
    );
    const id = /export (\S+) ready: version 2,/.exec(stdout)?.[1];
    expect(id).toBeDefined();
    // It prints every file's SHA-256 as sha256sum does, and they are the files on disk.
    const printed = new Map(
      stdout
        .split('\n')
        .filter((line) => /^[0-9a-f]{64} {2}\S+$/.test(line))
        .map((line) => [line.slice(66), line.slice(0, 64)]),
    );
    expect([...printed.keys()]).toEqual([...downloaded.keys()]);
    for (const [name, digest] of printed) {
      const bytes = await readFile(join(dir, id!, name));
      expect({ name, sha256: sha256(bytes) }).toEqual({ name, sha256: digest });
      if (name !== 'manifest.json')
        expect({ name, sha256: digest }).toEqual({ name, sha256: sha256(downloaded.get(name)!) });
    }
    // The manifests differ only in which export they describe and when it was made.
    const manifest = (bytes: Buffer) => {
      const m = JSON.parse(bytes.toString('utf8')) as { export: Record<string, unknown> };
      const { id: _id, version, requestedAt: _r, generatedAt: _g, ...rest } = m.export;
      return { ...m, export: rest, version };
    };
    const first = manifest(downloaded.get('manifest.json')!);
    const second = manifest(await readFile(join(dir, id!, 'manifest.json')));
    expect({ ...second, version: 1 }).toEqual(first);
    expect(second.version).toBe(2);
  }, 120_000);
});
