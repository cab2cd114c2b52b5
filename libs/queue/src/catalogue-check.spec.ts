import { catalogueProblems } from './catalogue-check.js';
import { assertValidJobId, JOB_CATALOGUE, JobName, QUEUE_CONCURRENCY } from './job-catalogue.js';

describe('catalogueProblems', () => {
  const jobs = ['a', 'b'];

  it.each([
    [
      'one handler per job',
      [
        { job: 'a', location: 'A.run' },
        { job: 'b', location: 'B.run' },
      ],
      [],
    ],
    ['a job without handler', [{ job: 'a', location: 'A.run' }], ['job "b" has no @JobHandler']],
    [
      'a job with two handlers',
      [
        { job: 'a', location: 'A.run' },
        { job: 'a', location: 'A2.run' },
        { job: 'b', location: 'B.run' },
      ],
      ['job "a" has 2 handlers: A.run, A2.run'],
    ],
    [
      'a handler of an unknown job',
      [
        { job: 'a', location: 'A.run' },
        { job: 'b', location: 'B.run' },
        { job: 'c', location: 'C.run' },
      ],
      ['C.run handles unknown job "c"'],
    ],
  ])('%s', (_case, handlers, problems) => {
    expect(catalogueProblems(handlers, jobs)).toEqual(problems);
  });
});

describe('job catalogue', () => {
  it('defines a queue and options for every job, and a concurrency for every queue it uses', () => {
    for (const name of Object.values(JobName)) {
      const definition = JOB_CATALOGUE[name];
      expect(definition).toBeDefined();
      expect(QUEUE_CONCURRENCY[definition.queue]).toBeGreaterThan(0);
    }
  });

  it.each([
    ['ok-id_1.2', true],
    ['a:b', false],
    ['', false],
    ['has space', false],
  ])('job id %j valid: %s', (id, ok) => {
    if (ok) expect(() => assertValidJobId(id)).not.toThrow();
    else expect(() => assertValidJobId(id)).toThrow(/Invalid job id/);
  });
});
