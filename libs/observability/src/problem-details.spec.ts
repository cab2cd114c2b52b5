import { ValidationError } from 'class-validator';
import { flattenValidationErrors, safeError } from './problem-details.js';

function error(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe('flattenValidationErrors', () => {
  it('gives each invalid field its dotted path and reason', () => {
    const errors = [
      error('nhsNumber', { matches: 'nhsNumber must be 10 digits' }),
      error('run', undefined, [error('lactate', { max: 'lactate must not be greater than 30' })]),
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'nhsNumber', reason: 'nhsNumber must be 10 digits' },
      { field: 'run.lactate', reason: 'lactate must not be greater than 30' },
    ]);
  });
});

describe('safeError', () => {
  it('keeps type, message, SQLSTATE and stack, and drops bound values and PostgreSQL detail', () => {
    const error = Object.assign(
      new Error('duplicate key value violates unique constraint "identity_nhs_key"'),
      {
        name: 'QueryFailedError',
        code: '23505',
        parameters: ['9990000018', 'Jane Doe'],
        detail: 'Key (nhs_number_hash)=(9990000018) already exists.',
        query: 'INSERT INTO identity ...',
      },
    );
    const logged = JSON.stringify(safeError(error));
    expect(logged).toContain('QueryFailedError');
    expect(logged).toContain('23505');
    expect(logged).not.toContain('9990000018');
    expect(logged).not.toContain('Jane Doe');
  });
});
