import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import type { Repository } from 'typeorm';
import { JobName, type JobPayloads } from '../job-catalogue.js';
import { JobHandler } from '../job-handler.decorator.js';
import { WorkerHeartbeat } from './worker-heartbeat.entity.js';

/** Heartbeats older than this are pruned: they only prove recent liveness. */
export const HEARTBEAT_RETENTION_DAYS = 7;

@Injectable()
export class HeartbeatHandler {
  constructor(@InjectRepository(WorkerHeartbeat) private readonly heartbeats: Repository<WorkerHeartbeat>) {}

  @JobHandler(JobName.Heartbeat)
  async record(_payload: JobPayloads[JobName.Heartbeat], job: Job): Promise<void> {
    // Delivery is at least once: the unique job id makes a second run of the same job a no-op.
    await this.heartbeats
      .createQueryBuilder()
      .insert()
      .values({ jobId: String(job.id), worker: `${hostname()}:${process.pid}` })
      .orIgnore()
      .execute();
    await this.heartbeats
      .createQueryBuilder()
      .delete()
      .where(`processed_at < now() - interval '${HEARTBEAT_RETENTION_DAYS} days'`)
      .execute();
  }
}
