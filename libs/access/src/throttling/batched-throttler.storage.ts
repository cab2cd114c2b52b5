import type { ThrottlerStorage } from '@nestjs/throttler';
import {
  throttlerRecord,
  type RedisThrottlerStorage,
  type ThrottlerStorageRecord,
} from './redis-throttler.storage.js';

/** How often the hits admitted locally are added to the shared count in Redis. */
export const BATCH_FLUSH_MS = 100;

/** Below this share of its limit (as this process last knew the shared count), a key's hits are admitted locally. */
const LOCAL_SHARE = 0.5;

interface KeyState {
  readonly key: string;
  readonly ttl: number;
  readonly limit: number;
  readonly blockDuration: number;
  readonly throttlerName: string;
  /** Hits admitted here and not yet added to the shared count. */
  pending: number;
  /** The shared count as Redis last answered it, with when its window and block end (local clock, ms). */
  known: { totalHits: number; at: number; windowEnd: number; blockEnd: number } | null;
}

/**
 * The rate limits of `batched` throttlers (the api-wide limit per client address) without a Redis round
 * trip on every request, still shared by every api process; the other throttlers (sign-in) go to Redis hit
 * by hit, exact, as before.
 *
 * While a key's count, as this process last learned it from Redis plus the hits it has admitted since, is
 * under half the limit, a hit is admitted here and added to the shared count in Redis within
 * `BATCH_FLUSH_MS`, together with the key's other hits of that interval (one script call per key, not per
 * request). From half the limit on, every hit goes to Redis at once with those pending, and Redis decides
 * as for the sign-in limits (the refusals and blocks are always Redis's). What this gives up: hits that
 * other processes admitted in their last `BATCH_FLUSH_MS` are not yet in the count a process sees, so a
 * burst from one address spread over several processes may pass the limit by up to half of it per other
 * process, once, before the next report blocks it. For a per-minute limit against floods that is the
 * trade; a request no longer waits for Redis (issue 7: the round trip and its promise chain were 8% of a
 * patient summary's CPU).
 *
 * While Redis is down, the hits admitted here cannot be reported: they are dropped, `onFlushError` is told
 * once per outage, and hits that need Redis fail as before (the guard then lets them through).
 */
export class BatchedThrottlerStorage implements ThrottlerStorage {
  private readonly keys = new Map<string, KeyState>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly shared: RedisThrottlerStorage,
    private readonly batched: ReadonlySet<string>,
    private readonly onFlushError: (error: unknown) => void,
    private readonly flushMs = BATCH_FLUSH_MS,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.batched.has(throttlerName) || this.closed) {
      return this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    const id = `${throttlerName}\u0000${key}`;
    let state = this.keys.get(id);
    if (!state) {
      state = { key, ttl, limit, blockDuration, throttlerName, pending: 0, known: null };
      this.keys.set(id, state);
    }
    const now = Date.now();
    if (state.known && now >= state.known.at + ttl) state.known = null;
    const known = state.known;
    if (known && known.blockEnd > now) {
      // Blocked, as Redis said: refused without counting, as the shared storage does while blocked.
      return throttlerRecord(known.totalHits, known.windowEnd - now, true, known.blockEnd - now);
    }
    const estimate = (known?.totalHits ?? 0) + state.pending + 1;
    if (estimate <= limit * LOCAL_SHARE) {
      state.pending += 1;
      this.schedule();
      return throttlerRecord(estimate, known ? known.windowEnd - now : ttl, false, 0);
    }
    // Near the limit: this hit and the pending ones go to Redis now, which decides.
    const count = state.pending + 1;
    state.pending = 0;
    return this.report(state, count);
  }

  /** Adds every key's pending hits to the shared count now (also run every `flushMs` while any are pending). */
  flush(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => {
      this.flushing = undefined;
      // Hits admitted while this flush ran wait for the next one.
      for (const state of this.keys.values()) {
        if (state.pending > 0) {
          this.schedule();
          break;
        }
      }
    });
    return this.flushing;
  }

  /** Reports what is pending and stops batching (at shutdown, before the Redis connection closes). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // A report under way may have started before the last hits were admitted: they go in one more.
    await this.flushing;
    await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  private async flushAll(): Promise<void> {
    const now = Date.now();
    const reports: Promise<unknown>[] = [];
    for (const [id, state] of this.keys) {
      if (state.pending > 0) {
        const count = state.pending;
        state.pending = 0;
        reports.push(
          this.report(state, count).catch((error: unknown) => {
            if (!this.failing) this.onFlushError(error);
            this.failing = true;
          }),
        );
      } else if (!state.known || now >= state.known.at + state.ttl) {
        this.keys.delete(id);
      }
    }
    await Promise.all(reports);
  }

  private async report(state: KeyState, count: number): Promise<ThrottlerStorageRecord> {
    const answer = await this.shared.incrementBy(
      state.key,
      state.ttl,
      state.limit,
      state.blockDuration,
      state.throttlerName,
      count,
    );
    const now = Date.now();
    state.known = {
      totalHits: answer.totalHits,
      at: now,
      windowEnd: now + answer.timeToExpire * 1000,
      blockEnd: answer.isBlocked ? now + answer.timeToBlockExpire * 1000 : 0,
    };
    this.failing = false;
    return answer;
  }
}
