import { AuditService } from '../../../audit/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import type { DataSource } from 'typeorm';
import { createUserWithPasswordToken, type PasswordToken } from './password-token.js';
import { userExistsWithEmail } from './users.queries.js';

export class AdminExists extends Error {}

/**
 * The `create-admin` command: an administrator account with no password, and the one-time token with which
 * its owner sets one (then enrols their authenticator at first sign-in). No default password ever exists.
 * Also the way back in when every administrator is locked out.
 */
export async function createAdministrator(
  dataSource: DataSource,
  input: { email: string; displayName: string; ttlSeconds: number; operator: string },
): Promise<{ userId: string; passwordSetup: PasswordToken }> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`not an e-mail address: ${input.email}`);
  if (input.displayName.trim() === '') throw new Error('the name must not be empty');
  const audit = new AuditService();
  const context = { actor: 'system:cli', reason: `create-admin run by ${input.operator}` };
  return new TransactionService(dataSource).run(context, async (em) => {
    if (await userExistsWithEmail(em, email))
      throw new AdminExists(`a user with e-mail ${email} already exists`);
    return createUserWithPasswordToken(
      em,
      audit,
      context,
      { email, displayName: input.displayName, role: 'admin', siteIds: [], via: 'create-admin' },
      input.ttlSeconds,
    );
  });
}
