import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dashboardAfter, dashboardBefore, idsOnly } from './redaction.js';

/** Runs before every request of the board; answering the request (a 401, a redirect) stops it there. */
export type DashboardGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface QueueDashboardOptions {
  /** Where the board is served, e.g. `/admin/queues` (page, static assets and its api below it). */
  readonly basePath: string;
  readonly title: string;
  /** Runs before every request of the board (page, assets, api): authenticates, or answers itself. */
  readonly guard: DashboardGuard;
  /** Links in the board's menu (a sign-out, say). */
  readonly links?: readonly { text: string; url: string }[];
}

/**
 * Mounts bull-board, read-only and showing ids only, in its own encapsulated Fastify scope: the guard covers
 * every route of the board and nothing outside it. Writes are refused twice, by the queue adapters' read-only
 * mode and by the before-hook's allow-list of read routes.
 */
export async function mountQueueDashboard(
  fastify: FastifyInstance,
  queues: readonly Queue[],
  options: QueueDashboardOptions,
): Promise<void> {
  const board = new BullBoardAdapter();
  board.setBasePath(options.basePath);
  createBullBoard({
    queues: queues.map((queue) => {
      const adapter = new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false });
      adapter.setFormatter('data', idsOnly);
      adapter.setFormatter('returnValue', () => null);
      return adapter;
    }),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: options.title,
        hideRedisDetails: true,
        miscLinks: options.links ? [...options.links] : [],
      },
      handlerHooks: { before: dashboardBefore, after: dashboardAfter },
    },
  });
  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', options.guard);
      await scope.register(board.registerPlugin());
    },
    { prefix: options.basePath },
  );
}
