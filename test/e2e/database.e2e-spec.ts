import { DataSource, QueryFailedError } from 'typeorm';
import type pg from 'pg';
import {
  assertSchemaMigrated,
  lockDownDatabase,
  postgresOptions,
  queryPrepared,
  runMigrations,
  SchemaNotMigratedError,
  TransactionService,
  UnsafeDatabaseRoleError,
} from '../../libs/database/src/index.js';
import {
  createDatabaseFrom,
  runDatabaseName,
  urlsFor,
} from '../../libs/database/src/testing/test-databases.js';
import { MIGRATIONS } from '../../migrations/index.js';

const MIGRATION_NAMES = MIGRATIONS.map((m) => m.name);
import { connect, startApi, testConfig } from '../support/apps.js';

const PERMISSION_DENIED = '42501';

async function sqlState(client: pg.Client, sql: string): Promise<string | undefined> {
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('least-privilege application role', () => {
  let app: pg.Client;
  let owner: pg.Client;

  beforeAll(async () => {
    app = await connect('app');
    owner = await connect('owner');
  });

  afterAll(async () => {
    await app.end();
    await owner.end();
  });

  it('may insert into and read the audit trail', async () => {
    await app.query(`INSERT INTO audit_event (actor, action) VALUES ('test:app-role', 'probe')`);
    const { rows } = await app.query(`SELECT actor FROM audit_event WHERE action = 'probe'`);
    expect(rows).toContainEqual({ actor: 'test:app-role' });
  });

  it('may not UPDATE, DELETE or TRUNCATE the audit trail', async () => {
    expect(await sqlState(app, `UPDATE audit_event SET reason = 'tampered'`)).toBe(PERMISSION_DENIED);
    expect(await sqlState(app, `DELETE FROM audit_event`)).toBe(PERMISSION_DENIED);
    expect(await sqlState(app, `TRUNCATE audit_event`)).toBe(PERMISSION_DENIED);
    const { rows } = await app.query(`SELECT count(*)::int AS n FROM audit_event WHERE reason = 'tampered'`);
    expect(rows[0].n).toBe(0);
  });

  it('may not choose the id, time or transaction of an audit entry', async () => {
    expect(
      await sqlState(
        app,
        `INSERT INTO audit_event (actor, action, occurred_at) VALUES ('x', 'backdated', '2001-01-01')`,
      ),
    ).toBe(PERMISSION_DENIED);
    expect(
      await sqlState(
        app,
        `INSERT INTO audit_event (id, actor, action) OVERRIDING SYSTEM VALUE VALUES (1, 'x', 'forged')`,
      ),
    ).toBe(PERMISSION_DENIED);
  });

  it('may not create temporary tables (which could shadow the audit trail on the search path)', async () => {
    expect(await sqlState(app, `CREATE TEMPORARY TABLE audit_event (LIKE public.audit_event)`)).toBe(
      PERMISSION_DENIED,
    );
  });

  it('may not run DDL', async () => {
    expect(await sqlState(app, `CREATE TABLE sneaky (id int)`)).toBe(PERMISSION_DENIED);
    expect(await sqlState(app, `ALTER TABLE audit_event ADD COLUMN sneaky int`)).toBeDefined();
    expect(await sqlState(app, `DROP TABLE worker_heartbeat`)).toBeDefined();
  });

  it('is not a superuser and cannot turn the audit triggers off', async () => {
    const { rows } = await app.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
    expect(rows[0].rolsuper).toBe(false);
    expect(await sqlState(app, `ALTER TABLE audit_event DISABLE TRIGGER ALL`)).toBeDefined();
  });

  it('leaves the audit trail append-only even for the owner role (triggers)', async () => {
    await owner.query(`INSERT INTO audit_event (actor, action) VALUES ('test:owner', 'probe-owner')`);
    expect(await sqlState(owner, `UPDATE audit_event SET reason = 'x' WHERE action = 'probe-owner'`)).toBe(
      PERMISSION_DENIED,
    );
    expect(await sqlState(owner, `DELETE FROM audit_event WHERE action = 'probe-owner'`)).toBe(
      PERMISSION_DENIED,
    );
    expect(await sqlState(owner, `TRUNCATE audit_event`)).toBe(PERMISSION_DENIED);
  });
});

describe('audit_row_change() trigger, fed by TransactionService', () => {
  let dataSource: DataSource;
  let transactions: TransactionService;

  beforeAll(async () => {
    // A clinical-like table, created by the owner as a later migration would, with the trigger attached.
    const owner = await connect('owner');
    await owner.query(
      `CREATE TABLE IF NOT EXISTS trial_note (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)`,
    );
    await owner.query(`DROP TRIGGER IF EXISTS trial_note_audit ON trial_note`);
    await owner.query(
      `CREATE TRIGGER trial_note_audit AFTER INSERT OR UPDATE OR DELETE ON trial_note FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );
    await owner.end();
    dataSource = new DataSource(
      postgresOptions({ url: testConfig().DATABASE_URL, applicationName: 'ecmo-test' }),
    );
    await dataSource.initialize();
    transactions = new TransactionService(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('records actor, action, old and new values, reason, request id and client address of every change', async () => {
    const id = await transactions.run(
      { actor: 'user:nurse-1', requestId: 'req-insert-0001', clientAddress: '10.1.2.3' },
      async (em) => {
        const rows = await em.query<Array<{ id: string }>>(
          `INSERT INTO trial_note (body) VALUES ('first') RETURNING id`,
        );
        return rows[0].id;
      },
    );
    await transactions.run({ actor: 'user:nurse-2', reason: 'typo', requestId: 'req-update-0001' }, (em) =>
      em.query(`UPDATE trial_note SET body = 'second' WHERE id = $1`, [id]),
    );
    const events = await dataSource.query<Array<Record<string, unknown>>>(
      `SELECT actor, action, entity_type, entity_id, old_values, new_values, reason, request_id, host(client_address) AS address
         FROM audit_event WHERE entity_type = 'trial_note' AND entity_id = $1 ORDER BY id`,
      [String(id)],
    );
    expect(events).toEqual([
      {
        actor: 'user:nurse-1',
        action: 'insert',
        entity_type: 'trial_note',
        entity_id: String(id),
        old_values: null,
        new_values: { id: Number(id), body: 'first' },
        reason: null,
        request_id: 'req-insert-0001',
        address: '10.1.2.3',
      },
      {
        actor: 'user:nurse-2',
        action: 'update',
        entity_type: 'trial_note',
        entity_id: String(id),
        old_values: { id: Number(id), body: 'first' },
        new_values: { id: Number(id), body: 'second' },
        reason: 'typo',
        request_id: 'req-update-0001',
        address: null,
      },
    ]);
  });

  it('refuses a change made without an actor, and writes nothing', async () => {
    await expect(dataSource.query(`INSERT INTO trial_note (body) VALUES ('anonymous')`)).rejects.toThrow(
      /no actor/,
    );
    const rows = await dataSource.query<unknown[]>(`SELECT 1 FROM trial_note WHERE body = 'anonymous'`);
    expect(rows).toHaveLength(0);
  });

  it('rolls the audit record back with the change', async () => {
    await expect(
      transactions.run({ actor: 'user:nurse-3' }, async (em) => {
        await em.query(`INSERT INTO trial_note (body) VALUES ('rolled back')`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const audit = await dataSource.query<unknown[]>(`SELECT 1 FROM audit_event WHERE actor = 'user:nurse-3'`);
    expect(audit).toHaveLength(0);
  });

  it('runs prepared statements on the transaction’s own connection, again and again, with TypeORM’s errors', async () => {
    const count = `SELECT count(*)::int AS n FROM trial_note WHERE body = $1`;
    const counts = await transactions.run({ actor: 'user:nurse-4' }, async (em) => {
      const before = await queryPrepared<{ n: number }>(em, count, ['prepared']);
      await em.query(`INSERT INTO trial_note (body) VALUES ('prepared')`);
      // Uncommitted: seen only on the transaction's connection; the same statement, prepared, twice.
      const inside = await queryPrepared<{ n: number }>(em, count, ['prepared']);
      const outside = await queryPrepared<{ n: number }>(dataSource.manager, count, ['prepared']);
      return [before[0].n, inside[0].n, outside[0].n];
    });
    expect(counts).toEqual([0, 1, 0]);
    expect((await queryPrepared<{ n: number }>(dataSource.manager, count, ['prepared']))[0].n).toBe(1);
    const failure = await queryPrepared(dataSource.manager, `SELECT 1 / $1::int AS x`, [0]).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError).driverError).toMatchObject({ code: '22012' });
  });
});

describe('migrations and the schema check', () => {
  const runId = process.env.TEST_RUN_ID ?? '';

  async function emptyDatabase(suffix: string): Promise<string> {
    const name = runDatabaseName(runId, `${suffix}${process.env.JEST_WORKER_ID ?? '1'}`);
    await createDatabaseFrom(name, undefined);
    await lockDownDatabase(testConfig().DATABASE_ADMIN_URL, name, 'ecmo_owner');
    return name;
  }

  it('refuses to start the api on an unmigrated database, saying what to run', async () => {
    const name = await emptyDatabase('empty');
    const { appUrl } = urlsFor(name);
    const error = await startApi({ DATABASE_URL: appUrl }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemaNotMigratedError);
    expect((error as Error).message).toMatch(
      new RegExp(`not migrated: ${MIGRATIONS.length} migration\\(s\\) pending .*npm run migration:run`),
    );
  });

  it('refuses to start the api connected as the owner role', async () => {
    const error = await startApi({ DATABASE_URL: testConfig().DATABASE_MIGRATION_URL }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnsafeDatabaseRoleError);
    expect((error as Error).message).toMatch(/may UPDATE the audit trail/);
  });

  it('applies migrations once when two deploys migrate at the same time (advisory lock)', async () => {
    const name = await emptyDatabase('race');
    const { ownerUrl, appUrl } = urlsFor(name);
    const [first, second] = await Promise.all([
      runMigrations(ownerUrl, MIGRATIONS),
      runMigrations(ownerUrl, MIGRATIONS),
    ]);
    expect([...first, ...second]).toEqual(MIGRATION_NAMES);
    const dataSource = new DataSource(postgresOptions({ url: appUrl, applicationName: 'ecmo-test' }));
    await dataSource.initialize();
    try {
      await expect(assertSchemaMigrated(dataSource)).resolves.toBeUndefined();
    } finally {
      await dataSource.destroy();
    }
  });
});
