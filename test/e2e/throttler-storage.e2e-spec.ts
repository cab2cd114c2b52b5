import { randomUUID } from 'node:crypto';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { BatchedThrottlerStorage } from '../../libs/access/src/throttling/batched-throttler.storage.js';
import { RedisThrottlerStorage } from '../../libs/access/src/throttling/redis-throttler.storage.js';
import { baseConfig } from '../../libs/database/src/testing/test-databases.js';

type ThrottlerStorageRecord = Awaited<ReturnType<RedisThrottlerStorage['increment']>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RedisThrottlerStorage on the real Redis', () => {
  const runPrefix = process.env.REDIS_PREFIX;
  if (!runPrefix)
    throw new Error('REDIS_PREFIX is not set: run the e2e tests through Jest with its global setup');
  const keyPrefix = `${runPrefix}-throttler-${randomUUID().slice(0, 8)}`;
  // Two connections stand for two api processes.
  let redisA: Redis;
  let redisB: Redis;
  let storageA: RedisThrottlerStorage;
  let storageB: RedisThrottlerStorage;
  const freshKey = () => `tracker-${randomUUID()}`;
  const redisKey = (throttlerName: string, key: string, suffix = '') =>
    `${keyPrefix}:throttle:${throttlerName}:${key}${suffix}`;

  async function keysUnderPrefix(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redisA.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }

  beforeAll(() => {
    redisA = new Redis(baseConfig().REDIS_URL);
    redisB = new Redis(baseConfig().REDIS_URL);
    storageA = new RedisThrottlerStorage(redisA, keyPrefix);
    storageB = new RedisThrottlerStorage(redisB, keyPrefix);
  });

  afterAll(async () => {
    const keys = await keysUnderPrefix();
    if (keys.length > 0) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
  });

  it('counts hits within the limit without blocking, timeToExpire in seconds rounded up', async () => {
    const key = freshKey();
    expect(await storageA.increment(key, 60_000, 3, 60_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect((await storageA.increment(key, 60_000, 3, 60_000, 'default')).totalHits).toBe(2);
    const third = await storageA.increment(key, 60_000, 3, 60_000, 'default');
    expect(third).toMatchObject({ totalHits: 3, isBlocked: false, timeToBlockExpire: 0 });
    expect(third.timeToExpire).toBeGreaterThanOrEqual(59);
    expect(third.timeToExpire).toBeLessThanOrEqual(60);
    const windowMs = await redisA.pttl(redisKey('default', key, ':window'));
    expect(windowMs).toBeGreaterThan(59_000);
    expect(windowMs).toBeLessThanOrEqual(60_000);

    expect((await storageA.increment(freshKey(), 2_500, 3, 2_500, 'default')).timeToExpire).toBe(3);
  });

  it('counts only the hits of the last ttl milliseconds', async () => {
    const key = freshKey();
    await storageA.increment(key, 600, 5, 600, 'default');
    await sleep(300);
    expect((await storageA.increment(key, 600, 5, 600, 'default')).totalHits).toBe(2);
    await sleep(400);
    // The first hit has left the window, the second has not.
    expect((await storageA.increment(key, 600, 5, 600, 'default')).totalHits).toBe(2);
    await sleep(700);
    expect(await storageA.increment(key, 600, 5, 600, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('blocks from the hit that exceeds the limit for blockDuration, then counts afresh', async () => {
    const key = freshKey();
    // The ttl outlasts the block, so the fresh count after the block shows the reset, not the window.
    const hit = () => storageA.increment(key, 5_000, 2, 500, 'default');
    expect((await hit()).isBlocked).toBe(false);
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 1 });
    const blockedAt = Date.now();
    const whileBlocked = await hit();
    expect(whileBlocked).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(whileBlocked.timeToBlockExpire).toBeGreaterThan(0);
    expect(await storageB.increment(key, 5_000, 2, 500, 'default')).toMatchObject({ isBlocked: true });

    await sleep(blockedAt + 600 - Date.now());
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 5, isBlocked: false, timeToBlockExpire: 0 });
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true });
  });

  it('keeps a key blocked for the whole blockDuration even after its hits have left the window', async () => {
    const key = freshKey();
    const hit = () => storageA.increment(key, 300, 1, 600, 'default');
    expect((await hit()).isBlocked).toBe(false);
    expect((await hit()).isBlocked).toBe(true);
    const blockedAt = Date.now();
    await sleep(400);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    await sleep(blockedAt + 700 - Date.now());
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('with blockDuration 0 refuses the hits over the limit without counting them', async () => {
    const key = freshKey();
    const hit = () => storageA.increment(key, 400, 2, 0, 'default');
    expect((await hit()).isBlocked).toBe(false);
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 1 });
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true });
    await sleep(500);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('shares one count between two connections (api processes); names and keys are independent', async () => {
    expect(await redisA.client('ID')).not.toBe(await redisB.client('ID'));
    const key = freshKey();
    await storageA.increment(key, 60_000, 3, 60_000, 'default');
    await storageB.increment(key, 60_000, 3, 60_000, 'default');
    expect((await storageA.increment(key, 60_000, 3, 60_000, 'default')).totalHits).toBe(3);
    expect(await storageB.increment(key, 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 4,
      isBlocked: true,
    });
    expect((await storageA.increment(key, 60_000, 3, 60_000, 'default')).isBlocked).toBe(true);

    expect(await storageB.increment(key, 60_000, 3, 60_000, 'long')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    expect(await storageA.increment(freshKey(), 60_000, 3, 60_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('writes every key with an expiry, blocked or not', async () => {
    const key = freshKey();
    await storageA.increment(key, 60_000, 1, 90_000, 'default');
    await storageA.increment(key, 60_000, 1, 90_000, 'default');
    await storageA.increment(key, 60_000, 1, 0, 'noblock');
    await storageA.increment(key, 60_000, 1, 0, 'noblock');
    const mine = (await keysUnderPrefix()).filter((k) => k.includes(key)).sort();
    expect(mine).toEqual(
      [
        redisKey('default', key),
        redisKey('default', key, ':block'),
        redisKey('default', key, ':window'),
        redisKey('noblock', key),
        redisKey('noblock', key, ':window'),
      ].sort(),
    );
    expect(await redisA.pttl(redisKey('default', key, ':block'))).toBeGreaterThan(89_000);

    // Every key of this file, the ones the earlier tests left included.
    const all = await keysUnderPrefix();
    expect(all.length).toBeGreaterThanOrEqual(mine.length);
    const withoutExpiry = [];
    for (const k of all) if ((await redisA.pttl(k)) <= 0) withoutExpiry.push(k);
    expect(withoutExpiry).toEqual([]);
  });

  it('counts 50 concurrent hits from two connections atomically: 1..50, each once', async () => {
    const key = freshKey();
    const results = await Promise.all(
      range(1, 50).map((i) => (i % 2 ? storageA : storageB).increment(key, 60_000, 100, 60_000, 'default')),
    );
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(range(1, 50));
    expect(results.every((r) => !r.isBlocked)).toBe(true);
  });

  it('lets exactly the first 10 of 50 concurrent hits through with limit 10', async () => {
    const key = freshKey();
    const results = await Promise.all(
      range(1, 50).map((i) => (i % 2 ? storageA : storageB).increment(key, 60_000, 10, 60_000, 'default')),
    );
    const passed = results.filter((r) => !r.isBlocked);
    const blocked = results.filter((r) => r.isBlocked);
    expect(passed.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(range(1, 10));
    // The 11th hit is counted and blocks; the hits that arrive while blocked are not counted.
    expect(blocked).toHaveLength(40);
    expect(blocked.every((r) => r.totalHits === 11 && r.timeToBlockExpire === 60)).toBe(true);
    expect(await redisA.zcard(redisKey('default', key))).toBe(11);
  });

  it('answers hit for hit as the in-memory ThrottlerStorageService does', async () => {
    const memory = new ThrottlerStorageService();
    const comparable = ({
      totalHits,
      timeToExpire,
      isBlocked,
      timeToBlockExpire,
    }: ThrottlerStorageRecord) => ({
      totalHits,
      timeToExpire,
      isBlocked,
      // The in-memory service returns a meaningless value here when the key is not blocked.
      timeToBlockExpire: isBlocked ? timeToBlockExpire : 0,
    });
    try {
      for (const blockDuration of [0, 30_000]) {
        const key = freshKey();
        for (let i = 0; i < 6; i++) {
          const expected = await memory.increment(key, 20_000, 3, blockDuration, 'default');
          const actual = await storageA.increment(key, 20_000, 3, blockDuration, 'default');
          expect({ i, blockDuration, ...comparable(actual) }).toEqual({
            i,
            blockDuration,
            ...comparable(expected),
          });
        }
      }
    } finally {
      memory.onApplicationShutdown();
    }
  });

  describe('BatchedThrottlerStorage (the api-wide limit)', () => {
    // Reports only when told to (flush), unless a test says otherwise: what reaches Redis is then exact.
    const batched = (storage: RedisThrottlerStorage, flushMs = 3_600_000) => {
      const errors: unknown[] = [];
      const batching = new BatchedThrottlerStorage(storage, new Set(['api']), (e) => errors.push(e), flushMs);
      return { batching, errors };
    };
    const sharedCount = (key: string) => redisA.zcard(redisKey('api', key));
    const outcomes = (records: ThrottlerStorageRecord[]) =>
      records.map((r) => (r.isBlocked ? 'refused' : r.totalHits));

    it('admits hits under half the limit without Redis, and adds them to the shared count when it reports', async () => {
      const { batching } = batched(storageA);
      const key = freshKey();
      const hits = [];
      for (let i = 0; i < 5; i++) hits.push(await batching.increment(key, 60_000, 10, 60_000, 'api'));
      expect(outcomes(hits)).toEqual([1, 2, 3, 4, 5]);
      expect(hits[0]).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
      expect(await sharedCount(key)).toBe(0);
      await batching.flush();
      expect(await sharedCount(key)).toBe(5);
      await batching.flush();
      expect(await sharedCount(key)).toBe(5);
      await batching.close();
    });

    it('from half the limit on, lets Redis decide hit by hit: exactly the limit passes, then the key is blocked', async () => {
      const { batching } = batched(storageA);
      const key = freshKey();
      const hits = [];
      for (let i = 0; i < 13; i++) hits.push(await batching.increment(key, 60_000, 10, 60_000, 'api'));
      expect(outcomes(hits)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 'refused', 'refused', 'refused']);
      expect(hits[10].timeToBlockExpire).toBe(60);
      // Refused hits are not counted, as with the exact storage while blocked.
      expect(await sharedCount(key)).toBe(11);
      await batching.close();
    });

    it('shares the count between api processes: what one reported, the other counts', async () => {
      const one = batched(storageA).batching;
      const two = batched(storageB).batching;
      const key = freshKey();
      for (let i = 0; i < 4; i++) await one.increment(key, 60_000, 10, 60_000, 'api');
      await one.flush();
      const hits = [];
      for (let i = 0; i < 8; i++) hits.push(await two.increment(key, 60_000, 10, 60_000, 'api'));
      // The other process's hits are unknown here until its first exact hit (its 6th): from then on the
      // shared count decides, 4 + 6 = 10, and the next is refused.
      expect(outcomes(hits)).toEqual([1, 2, 3, 4, 5, 10, 'refused', 'refused']);
      // And the first process, which only admitted under half the limit, learns of the block from Redis.
      expect((await one.increment(key, 60_000, 10, 60_000, 'api')).isBlocked).toBe(false);
      await one.flush();
      expect((await one.increment(key, 60_000, 10, 60_000, 'api')).isBlocked).toBe(true);
      await Promise.all([one.close(), two.close()]);
    });

    it('sends the throttlers it does not batch (sign-in) to Redis hit by hit', async () => {
      const { batching } = batched(storageA);
      const key = freshKey();
      await batching.increment(key, 60_000, 10, 60_000, 'login-address');
      expect(await redisA.zcard(redisKey('login-address', key))).toBe(1);
      await batching.close();
    });

    it('reports by itself within its interval, and at close', async () => {
      const { batching } = batched(storageA, 50);
      const key = freshKey();
      await batching.increment(key, 60_000, 10, 60_000, 'api');
      await batching.increment(key, 60_000, 10, 60_000, 'api');
      const deadline = Date.now() + 5_000;
      while ((await sharedCount(key)) < 2 && Date.now() < deadline) await sleep(20);
      expect(await sharedCount(key)).toBe(2);
      await batching.increment(key, 60_000, 10, 60_000, 'api');
      await batching.close();
      expect(await sharedCount(key)).toBe(3);
    });

    it('while Redis is down, admits under half the limit, says so once, and fails the hits that need Redis', async () => {
      const down = new Redis({
        port: 1,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      try {
        const { batching, errors } = batched(new RedisThrottlerStorage(down, keyPrefix));
        const key = freshKey();
        expect((await batching.increment(key, 60_000, 10, 60_000, 'api')).isBlocked).toBe(false);
        await batching.flush();
        expect((await batching.increment(key, 60_000, 10, 60_000, 'api')).isBlocked).toBe(false);
        await batching.flush();
        expect(errors).toHaveLength(1);
        // The hits it could not report are dropped: five more fit under half the limit, the sixth needs Redis.
        for (let i = 0; i < 5; i++) await batching.increment(key, 60_000, 10, 60_000, 'api');
        await expect(batching.increment(key, 60_000, 10, 60_000, 'api')).rejects.toThrow();
        await expect(batching.increment(key, 60_000, 10, 60_000, 'login-address')).rejects.toThrow();
        await batching.close();
      } finally {
        down.disconnect();
      }
    });
  });
});
