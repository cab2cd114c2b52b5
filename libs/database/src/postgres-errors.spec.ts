import { isDependencyDown } from './postgres-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDependencyDown', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED'), true],
    ['connection reset', withCode('ECONNRESET'), true],
    ['node-postgres: the connection ended', new Error('Connection terminated unexpectedly'), true],
    [
      'node-postgres: the pool could not connect in time',
      new Error('timeout exceeded when trying to connect'),
      true,
    ],
    [
      'PostgreSQL shutting down (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
      true,
    ],
    ['PostgreSQL starting up (57P03)', withCode('57P03', 'the database system is starting up'), true],
    ['PostgreSQL connection failure (08006)', withCode('08006'), true],
    ['ioredis: connection closed', new Error('Connection is closed.'), true],
    [
      'ioredis: retries exhausted',
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
      true,
    ],
    [
      'TypeORM wrapping a refused connection',
      Object.assign(new Error('query failed'), { driverError: withCode('ECONNREFUSED') }),
      true,
    ],
    ['a cause', new Error('outer', { cause: withCode('ECONNRESET') }), true],
    // Errors of the request or of the code: still a 500 (a bug) or mapped elsewhere.
    ['unique violation (23505)', withCode('23505', 'duplicate key value'), false],
    ['check violation (23514)', withCode('23514'), false],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')"), false],
    ['a string', 'ECONNREFUSED', false],
    ['null', null, false],
  ])('%s', (_name, error, expected) => {
    expect(isDependencyDown(error)).toBe(expected);
  });
});
