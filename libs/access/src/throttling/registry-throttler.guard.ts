import { Injectable, Logger, ServiceUnavailableException, type ExecutionContext } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { isLoginThrottled } from '../auth/login-throttle.js';
import { errorMessage, IS_OPERATIONAL } from '../../../observability/src/index.js';

/** A limit's window in words: `a minute`, or `in 30 seconds`. */
const per = (ttlMs: number): string =>
  ttlMs === 60_000 ? 'a minute' : `in ${Math.round(ttlMs / 1000)} seconds`;

/** How long the rate limits may wait for Redis before the request goes on without them (or gets 503). */
const STORE_TIMEOUT_MS = 1000;

/**
 * @nestjs/throttler's guard, with the registry's choices for when Redis (the shared counter store) is down:
 * sign-in steps fail closed with 503 (no unlimited password guessing), every other route fails open with a
 * warning, because a nurse's data entry must not stop for a rate limiter (lockout and the database still
 * protect accounts). Health and metrics are never limited.
 */
@Injectable()
export class RegistryThrottlerGuard extends ThrottlerGuard {
  private readonly rateLimitLog = new Logger('RateLimit');

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const operational = [context.getHandler(), context.getClass()].some(
      (target) => Reflect.getMetadata(IS_OPERATIONAL, target) === true,
    );
    return Promise.resolve(operational);
  }

  /**
   * A 429 a person and a client can act on: the standard Retry-After header (the throttler's own is named
   * per limit, Retry-After-api, which clients do not read), and a detail that says which limit and when to
   * try again.
   */
  protected override throwThrottlingException(
    context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(limit.isBlocked ? limit.timeToBlockExpire : limit.timeToExpire));
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(seconds));
    const wait = `try again in ${seconds} second${seconds === 1 ? '' : 's'}`;
    throw new ThrottlerException(
      isLoginThrottled(context)
        ? `Too many sign-in attempts from this address or for this account: ${wait}`
        : `Too many requests from this address (${limit.limit} ${per(limit.ttl)} at most): ${wait}`,
    );
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis in ${STORE_TIMEOUT_MS} ms`)),
        STORE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([super.canActivate(context), timeout]);
    } catch (error) {
      if (error instanceof ThrottlerException) throw error;
      if (isLoginThrottled(context)) {
        throw new ServiceUnavailableException('Sign-in is unavailable while the rate-limit store is down');
      }
      this.rateLimitLog.warn(`rate limits skipped: ${errorMessage(error)}`);
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
