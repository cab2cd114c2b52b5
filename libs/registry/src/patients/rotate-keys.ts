import type { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import type { AppConfig } from '../../../config/src/index.js';
import { applyAuditContext } from '../../../database/src/index.js';
import { PatientIdentities } from './patient-identities.js';

/**
 * Re-wraps every patient's data key with the current master key (the first of IDENTITY_MASTER_KEYS), batch
 * by batch, each batch one transaction with a `patient_key.rotated` audit event per patient (key ids only).
 * The identities themselves are not touched: only the small wrapped keys change. Once it reports 0 left to
 * rotate, the old master key can be removed from the configuration.
 */
export async function rotateIdentityKeys(
  dataSource: DataSource,
  config: AppConfig,
  actor: string,
  batchSize = 500,
): Promise<{ rotated: number; currentKeyId: string }> {
  const identities = new PatientIdentities(config, new AuditService());
  const context = { actor, reason: 'master key rotation' };
  const rotated = await identities.rotate(
    (work) =>
      dataSource.transaction(async (em) => {
        await applyAuditContext(em, context);
        return work(em);
      }),
    context,
    batchSize,
  );
  return { rotated, currentKeyId: identities.keyring.currentKeyId };
}
