import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { AuditService } from '../../libs/audit/src/index.js';
import { postgresOptions } from '../../libs/database/src/index.js';
import { PatientIdentities, REGISTRY_ENTITIES, rotateIdentityKeys } from '../../libs/registry/src/index.js';
import { UnknownMasterKey } from '../../libs/registry/src/identity/identity-keyring.js';
import { createAdminWithCli, createSite, createUser, onboard, uniqueEmail } from '../support/access.js';
import { startApi, testConfig } from '../support/apps.js';
import { enrol } from '../support/patients.js';

/**
 * Master key rotation (issue 4): `rotate-identity-keys` re-wraps every data key with the new master key, so
 * that the old one can be removed from the configuration and every identity still opens; each rotation is an
 * audit event carrying key ids only.
 */
describe('identity master key rotation', () => {
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  const original = process.env.IDENTITY_MASTER_KEYS!;
  const newKey = `rot2:${randomBytes(32).toString('base64url')}`;

  beforeAll(async () => {
    app = await startApi();
    dataSource = new DataSource(
      postgresOptions({
        url: testConfig().DATABASE_URL,
        applicationName: 'ecmo-test',
        entities: REGISTRY_ENTITIES,
      }),
    );
    await dataSource.initialize();
  });

  afterAll(async () => {
    // Back to the run's key, so that later test files in this worker open every identity.
    await rotateIdentityKeys(
      dataSource,
      testConfig({ IDENTITY_MASTER_KEYS: `${original},${newKey}` }),
      'test',
    );
    await dataSource.destroy();
    await app.close();
  });

  it('re-wraps every data key; afterwards the new master key alone opens every identity', async () => {
    const email = uniqueEmail('rotation-admin');
    const admin = await onboard(app, email, await createAdminWithCli(email));
    const site = await createSite(app, admin.accessToken, 'Rotation Hospital');
    const nurse = await createUser(app, admin.accessToken, 'research_nurse', [site.id]);
    const patients = [await enrol(app, nurse.accessToken), await enrol(app, nurse.accessToken)];

    const newOnly = testConfig({ IDENTITY_MASTER_KEYS: newKey });
    const readWith = (config: ReturnType<typeof testConfig>, patientId: string) =>
      dataSource.transaction((em) => new PatientIdentities(config, new AuditService()).read(em, patientId));
    // Before: the new key alone cannot open them.
    await expect(readWith(newOnly, patients[0].id)).rejects.toBeInstanceOf(UnknownMasterKey);

    const { rotated, currentKeyId } = await rotateIdentityKeys(
      dataSource,
      testConfig({ IDENTITY_MASTER_KEYS: `${newKey},${original}` }),
      'cli:test',
      1, // one key per batch: the batching loop is exercised too
    );
    expect(currentKeyId).toBe('rot2');
    expect(rotated).toBeGreaterThanOrEqual(2);
    const left = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM patient_key WHERE key_id <> 'rot2'`,
    );
    expect(left[0].n).toBe(0);
    for (const patient of patients) {
      const { identity } = await readWith(newOnly, patient.id);
      expect(identity.nhsNumber).toBe(patient.nhsNumber);
    }
    // Each rotation is an audit event with the key ids, and nothing that could unwrap a key.
    const events = await dataSource.query<Array<{ new_values: Record<string, unknown> }>>(
      `SELECT new_values FROM audit_event WHERE action = 'patient_key.rotated' AND entity_id = $1`,
      [patients[0].id],
    );
    expect(events.map((e) => e.new_values)).toEqual([{ fromKeyId: 'test1', toKeyId: 'rot2' }]);
    // A second run has nothing left to do.
    const again = await rotateIdentityKeys(
      dataSource,
      testConfig({ IDENTITY_MASTER_KEYS: `${newKey},${original}` }),
      'cli:test',
    );
    expect(again.rotated).toBe(0);
  });
});
