import { Injectable } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import type { MetricsCollector } from '../../observability/src/index.js';
import { QueueService } from './queue.service.js';

/** BullMQ's job counts per queue and state, read from Redis at each scrape. */
@Injectable()
export class QueueMetrics implements MetricsCollector {
  constructor(private readonly queues: QueueService) {}

  register(registry: Registry): void {
    const queues = this.queues;
    new Gauge({
      name: 'bullmq_jobs',
      help: 'BullMQ jobs per queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const queue of queues.allQueues()) {
          const counts = await queue.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'failed',
            'completed',
            'prioritized',
          );
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        }
      },
    });
  }
}
