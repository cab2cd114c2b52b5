import { randomUUID } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

/**
 * One call of the guard, as a single Lua script: it runs atomically in Redis, so concurrent requests
 * (from any number of api processes) never read the same count. Times come from the Redis server's clock
 * (TIME), never from the api processes' clocks, which may disagree. Mirrors @nestjs/throttler's in-memory
 * ThrottlerStorageService:
 * - KEYS[1] hits: a sorted set with one member per counted hit, scored by the moment (ms) it leaves the window;
 * - KEYS[2] window: end of the current window (the `timeToExpire` the guard reports), renewed when it is over;
 * - KEYS[3] block: end of the block once a hit exceeds the limit; while blocked, hits are not counted, and the
 *   first hit after the block starts counting afresh.
 * Every key is written with an expiry (PXAT / PEXPIREAT), so nothing outlives its purpose.
 * ARGV[5] is the number of hits counted at once (1 for one request; more when BatchedThrottlerStorage sends
 * the hits it admitted since its last report).
 * Returns { totalHits, window ms left, blocked 0/1, block ms left }.
 */
const INCREMENT_SCRIPT = `
local hitsKey, windowKey, blockKey = KEYS[1], KEYS[2], KEYS[3]
local ttl, limit, hitId = math.ceil(tonumber(ARGV[1])), tonumber(ARGV[2]), ARGV[4]
local blockDuration = math.ceil(tonumber(ARGV[3]))
local count = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function latestHitExpiry()
  local last = redis.call('ZRANGE', hitsKey, -1, -1, 'WITHSCORES')
  return last[2] and tonumber(last[2]) or now
end
local function addHits(n)
  for i = 1, n do
    redis.call('ZADD', hitsKey, now + ttl, hitId .. ':' .. i)
  end
  redis.call('PEXPIREAT', hitsKey, latestHitExpiry())
end

redis.call('ZREMRANGEBYSCORE', hitsKey, '-inf', now)
local windowEnd = tonumber(redis.call('GET', windowKey))
if not windowEnd or windowEnd <= now then
  windowEnd = now + ttl
  redis.call('SET', windowKey, windowEnd, 'PXAT', windowEnd)
end

if blockDuration <= 0 then
  -- No blocking: a hit over the limit is refused but not counted.
  local counted = redis.call('ZCARD', hitsKey)
  if counted + count <= limit then
    addHits(count)
    return { counted + count, windowEnd - now, 0, 0 }
  end
  local first = redis.call('ZRANGE', hitsKey, 0, 0, 'WITHSCORES')
  local retryAt = first[2] and tonumber(first[2]) or windowEnd
  return { counted + count, windowEnd - now, 1, retryAt - now }
end

local blockEnd = tonumber(redis.call('GET', blockKey))
if not blockEnd then
  addHits(count)
  if redis.call('ZCARD', hitsKey) > limit then
    blockEnd = now + blockDuration
    -- Kept until the hits counted so far have left the window too, so the reset below cannot be missed.
    redis.call('SET', blockKey, blockEnd, 'PXAT', math.max(blockEnd, latestHitExpiry()))
  end
end
if blockEnd and blockEnd <= now then
  redis.call('DEL', hitsKey, blockKey)
  blockEnd = nil
  addHits(count)
end
local totalHits = redis.call('ZCARD', hitsKey)
if blockEnd then
  return { totalHits, windowEnd - now, 1, blockEnd - now }
end
return { totalHits, windowEnd - now, 0, 0 }
`;

/** Not exported by @nestjs/throttler's entry point. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
type IncrementReply = [totalHits: number, windowMs: number, blocked: 0 | 1, blockMs: number];
type WithIncrement = Redis & {
  throttlerIncrement(
    hitsKey: string,
    windowKey: string,
    blockKey: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    hitId: string,
    count: number,
  ): Promise<IncrementReply>;
};

/**
 * Throttler storage in Redis, so that the rate limits hold across every api process (the in-memory storage
 * of @nestjs/throttler counts per process). Same semantics as the in-memory ThrottlerStorageService: `ttl`
 * and `blockDuration` in milliseconds, a hit counted for `ttl` ms, the hit that exceeds `limit` blocks the
 * key for `blockDuration` ms; the returned times are in seconds, rounded up, as the guard's headers expect.
 * Keys: `<keyPrefix>:throttle:<throttlerName>:<key>` (hits) with `:window` and `:block` beside it.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: WithIncrement;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('throttlerIncrement', { lua: INCREMENT_SCRIPT, numberOfKeys: 3 });
    this.redis = redis as WithIncrement;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.incrementBy(key, ttl, limit, blockDuration, throttlerName, 1);
  }

  /** As `increment`, for `count` hits at once (all counted, or none with blockDuration 0 over the limit). */
  async incrementBy(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    count: number,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.keyPrefix}:throttle:${throttlerName}:${key}`;
    const [totalHits, windowMs, blocked, blockMs] = await this.redis.throttlerIncrement(
      base,
      `${base}:window`,
      `${base}:block`,
      ttl,
      limit,
      blockDuration,
      randomUUID(),
      count,
    );
    return throttlerRecord(totalHits, windowMs, blocked === 1, blockMs);
  }
}

/** A record as the guard expects it: times in seconds, rounded up, from milliseconds. */
export function throttlerRecord(
  totalHits: number,
  windowMs: number,
  isBlocked: boolean,
  blockMs: number,
): ThrottlerStorageRecord {
  return {
    totalHits,
    timeToExpire: Math.ceil(windowMs / 1000),
    isBlocked,
    timeToBlockExpire: Math.ceil(Math.max(0, blockMs) / 1000),
  };
}
