import { ValidationError } from 'class-validator';
import { flattenValidationErrors } from './problem-details.js';

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
