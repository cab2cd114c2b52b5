import type { Redis } from 'ioredis';

/**
 * BullMQ loses jobs when Redis evicts keys under memory pressure: anything but `noeviction` deserves a loud
 * warning at start. Returns the policy, or undefined when the server does not allow CONFIG GET.
 */
export async function evictionPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = await redis.config('GET', 'maxmemory-policy');
    return reply[1];
  } catch {
    return undefined;
  }
}
