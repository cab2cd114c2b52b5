import { Redis, type RedisOptions } from 'ioredis';

export const REDIS = Symbol('REDIS');

/**
 * A connection for commands (health checks, counts, rate limits). BullMQ workers get their own connections
 * with `maxRetriesPerRequest: null`, as BullMQ requires for blocking commands.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { lazyConnect: false, enableOfflineQueue: true, ...options });
}

export function createWorkerRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
