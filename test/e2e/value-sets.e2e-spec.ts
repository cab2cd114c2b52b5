import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import {
  bearer,
  createAdminWithCli,
  createSite,
  createUser,
  onboard,
  uniqueEmail,
} from '../support/access.js';
import { connect, startApi } from '../support/apps.js';

interface ValueSet {
  name: string;
  version: number;
  codes: { code: string; group: string | null; requiresText: boolean }[];
}

describe('value sets: the taxonomy and coded fields are data', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let nurseToken: string;

  beforeAll(async () => {
    app = await startApi();
    db = await connect('app');
    const email = uniqueEmail('vs-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Value Set Hospital');
    nurseToken = (await createUser(app, admin.accessToken, 'research_nurse', [site.id])).accessToken;
  });

  afterAll(async () => {
    await db.end();
    await app.close();
  });

  it('serves the complication taxonomy of the domain guide, version 1, grouped, "other" needing text', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/value-sets/complication',
      headers: bearer(nurseToken),
    });
    expect(response.statusCode).toBe(200);
    const set = response.json<ValueSet>();
    expect(set.version).toBe(1);
    expect(set.codes).toHaveLength(33);
    expect([...new Set(set.codes.map((c) => c.group))]).toEqual([
      'bleeding',
      'thrombosis_circuit',
      'neurological',
      'renal',
      'limb_vascular',
      'infection',
      'haemolysis',
      'cardiac_pulmonary',
      'other',
    ]);
    expect(set.codes.filter((c) => c.requiresText).map((c) => c.code)).toEqual(['other']);
  });

  it('lists every coded field of the record', async () => {
    const response = await app.inject({ method: 'GET', url: '/value-sets', headers: bearer(nurseToken) });
    const names = response.json<ValueSet[]>().map((s) => s.name);
    expect(names.sort()).toEqual([
      'cannula_site',
      'cannulation',
      'cause_of_death',
      'complication',
      'complication_outcome',
      'complication_relation',
      'discharge_destination',
      'ecmo_end_reason',
      'ecmo_mode',
      'ecmo_start_location',
      'ecmo_started_for',
      'lv_unloading',
      'missing_reason',
      'operation_category',
      'operation_urgency',
      'sex',
    ]);
  });

  it('answers 404 for an unknown set and 400 for a malformed name', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/value-sets/favourite_colour',
      headers: bearer(nurseToken),
    });
    expect(unknown.statusCode).toBe(404);
    const malformed = await app.inject({
      method: 'GET',
      url: '/value-sets/DROP%20TABLE',
      headers: bearer(nurseToken),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ errors: [{ field: 'name' }] });
  });

  it('is read-only for the application, and its seed is in the audit trail', async () => {
    await expect(
      db.query(`UPDATE value_set_code SET label = 'x' WHERE value_set = 'complication' AND code = 'sepsis'`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      db.query(`INSERT INTO value_set_version (value_set, version, title) VALUES ('complication', 2, 'x')`),
    ).rejects.toThrow(/permission denied/);
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_event WHERE actor = 'migration:ValueSets' AND entity_type = 'value_set_code'`,
    );
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(33);
  });
});
