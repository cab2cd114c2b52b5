import { ValidationError } from 'class-validator';
import type { ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import {
  constraintFallbacks,
  constraintFallbacksSoFar,
  flattenValidationErrors,
  ProblemDetailsFilter,
  safeError,
} from './problem-details.js';

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

describe('a database rule that reaches the error filter', () => {
  /** Sends the error through the filter, as Nest would, and answers the reply's status and body. */
  function answer(exception: unknown): { status: number; body: Record<string, unknown> } {
    const sent = { status: 0, body: {} as Record<string, unknown> };
    const reply = {
      status(code: number) {
        sent.status = code;
        return reply;
      },
      header: () => reply,
      send(body: Record<string, unknown>) {
        sent.body = body;
        return reply;
      },
    };
    const host = {
      switchToHttp: () => ({
        getRequest: () => ({ url: '/patients/x/ecmo-runs', id: 'r1' }),
        getResponse: () => reply,
      }),
    } as unknown as ArgumentsHost;
    new ProblemDetailsFilter().catch(exception, host);
    return sent;
  }
  const violation = (driverError: Record<string, unknown>) =>
    new QueryFailedError(
      'INSERT INTO ecmo_run ...',
      ['9990000018'],
      Object.assign(new Error('violates'), driverError),
    );

  it('answers 422 naming the field, counts it, and tells the tests', async () => {
    const before = constraintFallbacksSoFar().length;
    const counted = async () =>
      (await constraintFallbacks.get()).values.find(
        (v) => v.labels.constraint === 'ecmo_run_pre_lactate_check',
      )?.value ?? 0;
    const countBefore = await counted();
    const check = answer(
      violation({ code: '23514', table: 'ecmo_run', constraint: 'ecmo_run_pre_lactate_check' }),
    );
    expect(check).toMatchObject({
      status: 422,
      body: {
        status: 422,
        errors: [{ field: 'preLactate', reason: 'breaks the rule ecmo_run_pre_lactate_check' }],
      },
    });
    expect(JSON.stringify(check.body)).not.toContain('9990000018');
    expect(await counted()).toBe(countBefore + 1);
    expect(answer(violation({ code: '23502', table: 'ecmo_run', column: 'started_at' })).body).toMatchObject({
      status: 422,
      errors: [{ field: 'startedAt' }],
    });
    // An unnamed rule across fields names its record.
    expect(
      answer(violation({ code: '23514', table: 'ecmo_run', constraint: 'ecmo_run_check1' })).body,
    ).toMatchObject({ errors: [{ field: 'ecmoRun' }] });
    expect(constraintFallbacksSoFar().slice(before)).toEqual([
      'ecmo_run_pre_lactate_check',
      'ecmo_run.started_at NOT NULL',
      'ecmo_run_check1',
    ]);
  });

  it('leaves any other error a 500', () => {
    expect(answer(violation({ code: '42P01' })).status).toBe(500);
  });
});
