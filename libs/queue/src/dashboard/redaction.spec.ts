import type { HookContext } from '@bull-board/api/typings/app';
import { dashboardAfter, dashboardBefore, HIDDEN, idsOnly, READ_ROUTES, redactJob } from './redaction.js';

const ID = '3f771e3c-bb96-4556-9123-bd8ea21d156c';
const context = (route: string, method = 'get') => ({ route, method, request: {} }) as unknown as HookContext;

describe('idsOnly', () => {
  it.each([
    [
      'UUIDs, numbers and booleans stay',
      { reminderId: ID, version: 3, dryRun: false },
      { reminderId: ID, version: 3, dryRun: false },
    ],
    ['text is hidden', { reminderId: ID, note: 'Jane Doe' }, { reminderId: ID, note: HIDDEN }],
    [
      'a registry id or NHS number is text',
      { registryId: 'ECMO-0001', nhs: '9434765919' },
      { registryId: HIDDEN, nhs: HIDDEN },
    ],
    ['nested objects and arrays are hidden', { a: { b: ID }, c: [ID] }, { a: HIDDEN, c: HIDDEN }],
    ['null and infinite numbers are hidden', { a: null, b: Infinity }, { a: HIDDEN, b: HIDDEN }],
    ['an empty payload stays empty', {}, {}],
    ['a string payload shows nothing', 'Jane Doe', {}],
    ['an array payload shows nothing', [ID], {}],
    ['no payload shows nothing', undefined, {}],
  ])('%s', (_label, data, expected) => {
    expect(idsOnly(data)).toEqual(expected);
  });
});

describe('redactJob', () => {
  it('keeps ids, name, timings and attempts; hides payload text, failure, stack, result and progress text', () => {
    const job = {
      id: 'send-reminder-1',
      name: 'send-reminder',
      timestamp: 1,
      processedOn: 2,
      finishedOn: 3,
      attempts: 2,
      isFailed: true,
      data: { reminderId: ID, version: 1, phone: '07700 900123' },
      returnValue: { sentTo: '07700 900123' },
      progress: { step: 'calling 07700 900123' },
      failedReason: 'Notify refused 07700 900123',
      deferredFailure: 'Jane Doe',
      stacktrace: ['Error: Jane Doe'],
      opts: { attempts: 3, delay: 10, jobId: 'send-reminder-1', telemetry: { metadata: 'Jane Doe' } },
      externalUrl: { href: 'https://example.org/?name=Jane' },
    };
    expect(redactJob(job)).toEqual({
      id: 'send-reminder-1',
      name: 'send-reminder',
      timestamp: 1,
      processedOn: 2,
      finishedOn: 3,
      attempts: 2,
      isFailed: true,
      data: { reminderId: ID, version: 1, phone: HIDDEN },
      returnValue: null,
      progress: 0,
      failedReason: HIDDEN,
      deferredFailure: HIDDEN,
      stacktrace: [],
      opts: { attempts: 3, delay: 10, jobId: 'send-reminder-1' },
    });
  });

  it('leaves an empty failure reason and a numeric progress as they are', () => {
    expect(redactJob({ failedReason: '', progress: 40, opts: {} })).toMatchObject({
      failedReason: '',
      progress: 40,
    });
  });
});

describe('dashboardBefore', () => {
  it('lets the read routes through', () => {
    for (const route of READ_ROUTES) expect(dashboardBefore(context(route))).toEqual({ allow: true });
  });

  it('refuses every write with 405, even on a route that is read otherwise', () => {
    expect(dashboardBefore(context('/api/queues/:queueName/:jobId/retry', 'put'))).toMatchObject({
      allow: false,
      status: 405,
    });
    expect(dashboardBefore(context('/api/queues', 'post'))).toMatchObject({ allow: false, status: 405 });
  });

  it('refuses a read route that is not on the list (the flow tree shows child payloads) with 404', () => {
    expect(dashboardBefore(context('/api/queues/:queueName/:jobId/flow'))).toMatchObject({
      allow: false,
      status: 404,
    });
  });
});

describe('dashboardAfter', () => {
  it('redacts the jobs of every queue in the list', async () => {
    const result = await dashboardAfter(context('/api/queues'), {
      status: 200,
      body: { queues: [{ name: 'q', jobs: [{ data: { note: 'Jane' }, failedReason: 'Jane', opts: {} }] }] },
    });
    expect(result.body).toEqual({
      queues: [
        {
          name: 'q',
          jobs: [
            {
              data: { note: HIDDEN },
              failedReason: HIDDEN,
              returnValue: null,
              progress: 0,
              stacktrace: [],
              opts: {},
            },
          ],
        },
      ],
    });
  });

  it('redacts a single job, empties its logs and reduces scheduler templates to ids', async () => {
    const single = await dashboardAfter(context('/api/queues/:queueName/:jobId'), {
      body: { job: { data: { note: 'Jane', id: ID }, opts: {} }, status: 'failed' },
    });
    expect((single.body as { job: { data: unknown } }).job.data).toEqual({ note: HIDDEN, id: ID });

    const logs = await dashboardAfter(context('/api/queues/:queueName/:jobId/logs'), {
      body: ['Jane Doe'] as never,
    });
    expect(logs.body).toEqual([]);

    const schedulers = await dashboardAfter(context('/api/job-schedulers'), {
      body: { schedulers: [{ id: 'clock', template: { data: { note: 'Jane' }, opts: { attempts: 3 } } }] },
    });
    expect(schedulers.body).toEqual({ schedulers: [{ id: 'clock', template: { data: { note: HIDDEN } } }] });
  });

  it('passes errors through untouched', async () => {
    const error = { status: 404 as const, body: { error: 'Queue not found' } };
    expect(await dashboardAfter(context('/api/queues/:queueName/:jobId'), error)).toBe(error);
  });
});
