import { Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { createHttpApp, initOrClose } from '../../libs/observability/src/index.js';
import { JobCatalogueError, JobHandler, JobName, QueueService } from '../../libs/queue/src/index.js';
import { connect, eventually, startApi, startWorker, testConfig } from '../support/apps.js';

describe('queue path: api or scheduler enqueues, the worker processes, PostgreSQL shows the effect', () => {
  let api: NestFastifyApplication;
  let worker: NestFastifyApplication;
  let db: pg.Client;

  beforeAll(async () => {
    db = await connect('app');
    api = await startApi();
    // A short interval so the scheduled heartbeat shows up within the test.
    worker = await startWorker({ HEARTBEAT_INTERVAL_MS: '300' });
  });

  afterAll(async () => {
    await worker.close();
    await api.close();
    await db.end();
  });

  it('runs the heartbeat job scheduler upserted at worker boot', async () => {
    const rows = await eventually(async () => {
      const { rows } = await db.query<{ job_id: string }>(
        `SELECT job_id FROM worker_heartbeat WHERE job_id LIKE 'repeat:heartbeat:%'`,
      );
      return rows.length >= 2 ? rows : undefined;
    });
    expect(rows.length).toBeGreaterThanOrEqual(2);
  });

  it('processes a job the api enqueues, once, even when it is enqueued twice with the same id', async () => {
    const queues = api.get(QueueService);
    const jobId = `probe-${Date.now()}`;
    await queues.enqueue(JobName.Heartbeat, {}, { jobId });
    await queues.enqueue(JobName.Heartbeat, {}, { jobId });
    const row = await eventually(async () => {
      const { rows } = await db.query<{ job_id: string; worker: string }>(
        `SELECT job_id, worker FROM worker_heartbeat WHERE job_id = $1`,
        [jobId],
      );
      return rows[0];
    });
    expect(row.worker).toMatch(/:\d+$/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows } = await db.query(`SELECT 1 FROM worker_heartbeat WHERE job_id = $1`, [jobId]);
    expect(rows).toHaveLength(1);
  });

  it('refuses a job id with a colon (BullMQ key separator)', async () => {
    await expect(api.get(QueueService).enqueue(JobName.Heartbeat, {}, { jobId: 'a:b' })).rejects.toThrow(
      /no ':'/,
    );
  });

  it('reports the worker ready and its queue counts', async () => {
    const ready = await worker.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const metrics = await worker.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/bullmq_jobs\{queue="maintenance",state="completed"\} [1-9]/);
  });
});

describe('job catalogue start-up check', () => {
  @Injectable()
  class SecondHeartbeatHandler {
    @JobHandler(JobName.Heartbeat)
    async again(): Promise<void> {}
  }

  it('refuses to boot a worker in which a job has two handlers', async () => {
    const config = testConfig();
    @Module({ imports: [WorkerModule.forRoot(config)], providers: [SecondHeartbeatHandler] })
    class WorkerWithDuplicate {}
    const app = await createHttpApp(WorkerWithDuplicate, config, { shutdownHooks: false });
    const error = await initOrClose(app).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobCatalogueError);
    expect((error as Error).message).toMatch(
      /job "heartbeat" has 2 handlers: HeartbeatHandler.record, SecondHeartbeatHandler.again/,
    );
  });
});
