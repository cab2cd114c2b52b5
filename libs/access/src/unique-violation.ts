import { QueryFailedError } from 'typeorm';

/**
 * PostgreSQL's unique_violation (23505): a duplicate the caller should hear about as 409. With
 * `constraint`, only a violation of that constraint: a transaction that writes several tables must not
 * report one duplicate as another.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string } | undefined;
  return driverError?.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}

/**
 * PostgreSQL's foreign_key_violation (23503) of the named constraint: a row naming another the database
 * holds it may not (a record of another patient, say), which the caller reports as the client's mistake.
 */
export function isForeignKeyViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string } | undefined;
  return driverError?.code === '23503' && driverError.constraint === constraint;
}
