import { QueryFailedError } from 'typeorm';

/** PostgreSQL's unique_violation (23505): a duplicate the caller should hear about as 409. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string } | undefined)?.code === '23505'
  );
}
