export type { AuditContext } from './audit-context.js';
export { DatabaseModule } from './database.module.js';
export { postgresOptions, type MigrationList } from './datasource-options.js';
export { runMigrations } from './migrate.js';
export { parsePostgresUrl, quoteIdent, withDatabase } from './postgres-url.js';
export { APP_GROUP_ROLE, MIGRATIONS_TABLE } from './roles.js';
export {
  assertLeastPrivilege,
  assertSchemaMigrated,
  pendingMigrations,
  SchemaNotMigratedError,
  StartupRefusal,
  UnsafeDatabaseRoleError,
} from './schema-check.js';
export { canAdminister, ensureRolesAndDatabase, lockDownDatabase } from './setup.js';
export { applyAuditContext, CommitOutcomeUnknown, TransactionService } from './transaction.service.js';
export { EntityRows } from './entity-rows.js';
export { queryPrepared } from './prepared.js';
export { nextNumber } from './next-number.js';
export {
  inErrorChain,
  isDependencyDown,
  isForeignKeyViolation,
  isQueryTimeout,
  isUniqueViolation,
  type ErrorLike,
  constraintBreach,
  type ConstraintBreach,
} from './postgres-errors.js';
export { committedDuring, requestWrites, type RequestWrites } from './request-writes.js';
export { updateAtVersion } from './update-at-version.js';
