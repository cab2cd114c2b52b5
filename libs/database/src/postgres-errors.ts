import { QueryFailedError } from 'typeorm';

/**
 * The one place the house reads the errors of its stores: which PostgreSQL errors are a client's mistake
 * (a duplicate, a row naming another it may not), and which mean PostgreSQL or Redis is down or unreachable
 * (a 503, not a 500). Every other lib asks here, by SQLSTATE, never by message text of its own.
 */
/** Socket errors that mean the other end is not there (or went away), not that the request was wrong. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 57P01 admin
 * shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up or in recovery).
 */
const POSTGRES_UNAVAILABLE = /^(08|57P0[123])/;

/** What node-postgres and ioredis say when their connection is gone or cannot be made. */
const QUERY_TIMEOUT = /Query read timeout/i;

const MESSAGES = [
  QUERY_TIMEOUT,
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /Stream isn't writeable/i,
];

export interface ErrorLike {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly driverError?: unknown;
  readonly cause?: unknown;
}

/**
 * Whether an error, or one it wraps (TypeORM's `driverError`, `cause`, a few levels down), satisfies `test`.
 */
export function inErrorChain(error: unknown, test: (e: ErrorLike) => boolean, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as ErrorLike;
  return test(e) || inErrorChain(e.driverError, test, depth + 1) || inErrorChain(e.cause, test, depth + 1);
}

/**
 * Whether an error means a dependency (PostgreSQL or Redis) is down or unreachable: the request may well
 * succeed once it is back, so the answer is 503 with Retry-After, not a 500. Looks through TypeORM's
 * `driverError` and `cause`.
 */
export function isDependencyDown(error: unknown): boolean {
  return inErrorChain(
    error,
    (e) =>
      (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || POSTGRES_UNAVAILABLE.test(e.code))) ||
      e.name === 'MaxRetriesPerRequestError' ||
      (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string))),
  );
}

/** node-postgres gave up waiting for a query's answer (query_timeout: a stalled network). */
export function isQueryTimeout(error: unknown): boolean {
  return inErrorChain(error, (e) => typeof e.message === 'string' && QUERY_TIMEOUT.test(e.message));
}

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

/** A row PostgreSQL refused by one of the schema's own rules, and where: what the error reports of it. */
export interface ConstraintBreach {
  /** not_null_violation 23502, foreign_key_violation 23503, check_violation 23514. */
  readonly code: '23502' | '23503' | '23514';
  readonly table: string | null;
  /** The column, for a NOT NULL violation. */
  readonly column: string | null;
  readonly constraint: string | null;
}

const CONSTRAINT_CODES = new Set(['23502', '23503', '23514']);

/**
 * The NOT NULL, foreign-key or CHECK violation an error carries (through TypeORM's `driverError`), or null.
 * Every such rule is one the service checks first: reaching here is a gap in those checks.
 */
export function constraintBreach(error: unknown): ConstraintBreach | null {
  let found: ConstraintBreach | null = null;
  inErrorChain(error, (e) => {
    if (typeof e.code !== 'string' || !CONSTRAINT_CODES.has(e.code)) return false;
    const text = (key: string) => {
      const value = (e as Record<string, unknown>)[key];
      return typeof value === 'string' ? value : null;
    };
    found = {
      code: e.code as ConstraintBreach['code'],
      table: text('table'),
      column: text('column'),
      constraint: text('constraint'),
    };
    return true;
  });
  return found;
}
