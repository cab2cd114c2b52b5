import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { constraintFallbacks } from './problem-details.js';

/** Metrics another lib adds to the process's registry (the queue lib's job counts, say). */
export interface MetricsCollector {
  register(registry: Registry): void;
}

export const METRICS_COLLECTORS = Symbol('METRICS_COLLECTORS');

/**
 * Prometheus metrics of one process. Each process (and each app a test boots) has its own registry, so two
 * apps in one process never collide on a metric name.
 */
@Injectable()
export class Metrics implements OnModuleInit {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(@Inject(METRICS_COLLECTORS) private readonly collectors: readonly MetricsCollector[]) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(constraintFallbacks);
    for (const collector of this.collectors) collector.register(this.registry);
  }

  /** Times every request by its route template (never the raw URL: ids would explode the label set). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
