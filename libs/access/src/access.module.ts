import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/src/index.js';
import { createRedis } from '../../queue/src/index.js';
import { ApiKeysService } from './api-keys/api-keys.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { Authenticator } from './auth/authenticator.js';
import { attemptedAccount, isLoginThrottled } from './auth/login-throttle.js';
import { DefaultDenyGuard, REQUEST_AUTHENTICATOR } from './default-deny.guard.js';
import { WebSessions } from './web-sessions/web-sessions.js';
import { IdentifierReadInterceptor, IdentifierReadLog } from './identifier-read.js';
import { ACCESS_ENTITIES } from './entities.js';
import { RouteAccessCheck } from './route-table.js';
import { SitesService } from './sites/sites.js';
import { SitesController } from './sites/sites.controller.js';
import { BatchedThrottlerStorage } from './throttling/batched-throttler.storage.js';
import { RedisThrottlerStorage } from './throttling/redis-throttler.storage.js';
import { errorMessage } from '../../observability/src/index.js';
import { RegistryThrottlerGuard } from './throttling/registry-throttler.guard.js';
import { UsersService } from './users/users.js';
import { UsersController } from './users/users.controller.js';

const MINUTE_MS = 60_000;

const THROTTLER_REDIS = Symbol('THROTTLER_REDIS');
const THROTTLER_STORAGE = Symbol('THROTTLER_STORAGE');

/**
 * The rate limits' own Redis connection: no offline queue and a short command timeout, so while Redis is
 * down a limit check fails at once (sign-in answers 503, other routes go on) instead of waiting, and no
 * queued hits are replayed when Redis comes back.
 */
@Injectable()
class ThrottlerRedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(THROTTLER_REDIS) private readonly redis: Redis,
    @Inject(THROTTLER_STORAGE) private readonly storage: BatchedThrottlerStorage,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // The hits admitted since the last report are added to the shared count before the connection goes.
    await this.storage.close().catch(() => undefined);
    this.redis.disconnect();
  }
}

// One counter per throttler and tracker, not per route (the guard's default): the api-wide limit covers the
// whole api, and the sign-in limits cover every sign-in step together. Hashed: the tracker may be an e-mail
// address (no personal data in Redis) of any length (the guard runs before body validation).
const keyPerTracker = (_context: unknown, tracker: string, name: string): string =>
  `${name}:${createHash('sha256').update(tracker).digest('base64url')}`;

/**
 * Who may do what. `forApi()`: sign-in, tokens, users, sites, API keys, rate limits shared through Redis, and
 * the guard that authenticates every non-public route and checks its roles. `denyAll()` (the worker, whose
 * only routes are public health and metrics): the same guard with no way to authenticate.
 * Both refuse to start with a route that declares no access.
 */
@Module({
  providers: [
    {
      provide: THROTTLER_REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        createRedis(config.REDIS_URL, {
          enableOfflineQueue: false,
          commandTimeout: 500,
          maxRetriesPerRequest: 0,
        }),
    },
    {
      // The api-wide limit is batched (no Redis round trip per request); the sign-in limits are exact.
      provide: THROTTLER_STORAGE,
      inject: [AppConfig, THROTTLER_REDIS],
      useFactory: (config: AppConfig, redis: Redis) => {
        const log = new Logger('RateLimit');
        return new BatchedThrottlerStorage(
          new RedisThrottlerStorage(redis, config.REDIS_PREFIX),
          new Set(['api']),
          (error) => log.warn(`api-wide hits not reported to Redis: ${errorMessage(error)}`),
        );
      },
    },
    ThrottlerRedisCloser,
  ],
  exports: [THROTTLER_REDIS, THROTTLER_STORAGE],
})
class ThrottlerRedisModule {}

@Module({})
export class AccessModule {
  /** The api: its controllers (sign-in, users, sites, API keys); callers authenticate with a bearer token. */
  static forApi(): DynamicModule {
    return AccessModule.withServices(
      [AuthController, SitesController, UsersController, ApiKeysController],
      [],
      { provide: REQUEST_AUTHENTICATOR, useExisting: Authenticator },
    );
  }

  /**
   * The web application: the same services, rate limits and guard, no api controller; callers authenticate
   * with their web session (its cookie), which WebSessions reads.
   */
  static forWeb(): DynamicModule {
    return AccessModule.withServices([], [WebSessions], {
      provide: REQUEST_AUTHENTICATOR,
      useExisting: WebSessions,
    });
  }

  private static withServices(controllers: Type[], own: Type[], authenticator: Provider): DynamicModule {
    return {
      module: AccessModule,
      // Global: every domain module uses the identifier-read log and the services without importing this.
      global: true,
      imports: [
        DiscoveryModule,
        TypeOrmModule.forFeature(ACCESS_ENTITIES),
        ThrottlerModule.forRootAsync({
          imports: [ThrottlerRedisModule],
          inject: [AppConfig, THROTTLER_STORAGE],
          useFactory: (config: AppConfig, storage: BatchedThrottlerStorage) => ({
            storage,
            throttlers: [
              { name: 'api', ttl: MINUTE_MS, limit: config.API_RATE_PER_ADDRESS, generateKey: keyPerTracker },
              {
                name: 'login-address',
                ttl: MINUTE_MS,
                limit: config.LOGIN_RATE_PER_ADDRESS,
                generateKey: keyPerTracker,
                skipIf: (context) => !isLoginThrottled(context),
                // Behind one NAT address a whole hospital signs in: the operator may count each account apart.
                ...(config.LOGIN_RATE_ADDRESS_KEY === 'address_and_account'
                  ? {
                      getTracker: (request: Record<string, unknown>) =>
                        `${String(request.ip)}|account:${attemptedAccount(request.body) ?? ''}`,
                    }
                  : {}),
              },
              {
                name: 'login-account',
                ttl: MINUTE_MS,
                limit: config.LOGIN_RATE_PER_ACCOUNT,
                generateKey: keyPerTracker,
                skipIf: (context) =>
                  !isLoginThrottled(context) ||
                  attemptedAccount(context.switchToHttp().getRequest<{ body?: unknown }>().body) === null,
                getTracker: (request) => `account:${attemptedAccount((request as { body?: unknown }).body)}`,
              },
            ],
          }),
        }),
      ],
      controllers,
      providers: [
        AuthService,
        Authenticator,
        SitesService,
        UsersService,
        ApiKeysService,
        ...own,
        authenticator,
        RouteAccessCheck,
        IdentifierReadLog,
        IdentifierReadInterceptor,
        // Guards run in this order: the rate limit first (cheap, before any database work), then access.
        { provide: APP_GUARD, useClass: RegistryThrottlerGuard },
        { provide: APP_GUARD, useClass: DefaultDenyGuard },
      ],
      exports: [
        AuthService,
        Authenticator,
        ...own,
        ApiKeysService,
        UsersService,
        SitesService,
        IdentifierReadLog,
        IdentifierReadInterceptor,
      ],
    };
  }

  static denyAll(): DynamicModule {
    return {
      module: AccessModule,
      imports: [DiscoveryModule],
      providers: [RouteAccessCheck, { provide: APP_GUARD, useClass: DefaultDenyGuard }],
    };
  }
}
