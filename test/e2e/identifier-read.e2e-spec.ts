import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { LogsIdentifierRead, Roles } from '../../libs/access/src/index.js';
import { createHttpApp } from '../../libs/observability/src/index.js';
import { bearer, createAdminWithCli, createUser, onboard, uniqueEmail } from '../support/access.js';
import { connect, testConfig } from '../support/apps.js';

// Synthetic identities (NHS numbers beginning 999 are never issued to a person).
const PEOPLE: Record<string, { id: string; nhsNumber: string; name: string }> = {
  '5d1f3e1a-0000-4000-8000-000000000001': {
    id: '5d1f3e1a-0000-4000-8000-000000000001',
    nhsNumber: '9990000018',
    name: 'Test Patient One',
  },
  '5d1f3e1a-0000-4000-8000-000000000002': {
    id: '5d1f3e1a-0000-4000-8000-000000000002',
    nhsNumber: '9990000026',
    name: 'Test Patient Two',
  },
};

/** A stand-in for the registry's identity routes (issue 4), mounted on the real api. */
@Controller('identity-probe')
class IdentityProbeController {
  @Get()
  @Roles('research_nurse', 'data_manager')
  @LogsIdentifierRead({
    entityType: 'patient_identity',
    fields: ['name'],
    ids: (result) => (result as { id: string }[]).map((p) => p.id),
  })
  list() {
    return Object.values(PEOPLE).map(({ id, name }) => ({ id, name }));
  }

  @Get(':id')
  @Roles('research_nurse', 'data_manager')
  @LogsIdentifierRead({
    entityType: 'patient_identity',
    fields: ['nhsNumber', 'name'],
    ids: (result) => [(result as { id: string }).id],
  })
  read(@Param('id') id: string) {
    const person = PEOPLE[id];
    if (!person) throw new NotFoundException('Patient not found');
    return person;
  }
}

@Module({ controllers: [IdentityProbeController] })
class IdentityProbeModule {}

describe('identifier reads are logged in the audit trail', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let reader: { id: string; accessToken: string };

  beforeAll(async () => {
    const config = testConfig();
    @Module({ imports: [ApiModule.forRoot(config), IdentityProbeModule] })
    class ApiWithIdentityProbe {}
    app = await createHttpApp(ApiWithIdentityProbe, config, { shutdownHooks: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    db = await connect('app');
    const email = uniqueEmail('id-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    reader = await createUser(app, admin.accessToken, 'data_manager');
  });

  afterAll(async () => {
    await db.end();
    await app.close();
  });

  async function reads(entityId: string) {
    const { rows } = await db.query<{ actor: string; address: string; details: unknown }>(
      `SELECT actor, host(client_address) AS address, new_values AS details
         FROM audit_event WHERE action = 'identifier.read' AND entity_id = $1 ORDER BY id`,
      [entityId],
    );
    return rows;
  }

  it('records who read which identifiers of which record, from where and through which route', async () => {
    const id = '5d1f3e1a-0000-4000-8000-000000000001';
    const before = (await reads(id)).length;
    const response = await app.inject({
      method: 'GET',
      url: `/identity-probe/${id}`,
      headers: bearer(reader.accessToken),
    });
    expect(response.statusCode).toBe(200);
    const after = await reads(id);
    expect(after.slice(before)).toEqual([
      {
        actor: `user:${reader.id}`,
        address: '127.0.0.1',
        details: { fields: ['nhsNumber', 'name'], purpose: 'GET /identity-probe/:id' },
      },
    ]);
    // The trail holds ids, never the identifiers themselves.
    const { rows } = await db.query(`SELECT 1 FROM audit_event WHERE new_values::text LIKE '%9990000018%'`);
    expect(rows).toHaveLength(0);
  });

  it('records every record of a list, and nothing for a read that found nothing', async () => {
    const ids = Object.keys(PEOPLE);
    const before = await Promise.all(ids.map(async (id) => (await reads(id)).length));
    const list = await app.inject({
      method: 'GET',
      url: '/identity-probe',
      headers: bearer(reader.accessToken),
    });
    expect(list.statusCode).toBe(200);
    const after = await Promise.all(ids.map(async (id) => (await reads(id)).length));
    expect(after.map((n, i) => n - before[i])).toEqual([1, 1]);

    const missing = '5d1f3e1a-0000-4000-8000-000000000009';
    const notFound = await app.inject({
      method: 'GET',
      url: `/identity-probe/${missing}`,
      headers: bearer(reader.accessToken),
    });
    expect(notFound.statusCode).toBe(404);
    expect(await reads(missing)).toEqual([]);
  });
});
