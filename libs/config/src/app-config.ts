import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsIP, IsString, Matches, Max, Min } from 'class-validator';
import { EnvVar } from './env-var.decorator.js';

const POSTGRES_URL = /^postgres(ql)?:\/\/[^\s/]+\/[A-Za-z0-9_]+(\?\S*)?$/;
const REDIS_URL = /^rediss?:\/\/\S+$/;
// BullMQ joins its key parts with ':', so a prefix must not contain one.
const REDIS_PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return value;
};

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * The whole configuration of every process (api, worker, cli), read once from the environment at boot and
 * validated. Defaults fit a developer's machine with PostgreSQL and Redis on their default local ports.
 */
export class AppConfig {
  @EnvVar('Runtime environment: development, test or production.')
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @EnvVar('Address the HTTP servers bind to (0.0.0.0 in containers).')
  @IsIP()
  HOST = '127.0.0.1';

  @EnvVar('HTTP port of the api.')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @EnvVar('HTTP port of the worker, which serves only /health and /metrics.')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_PORT = 3001;

  @EnvVar('Log level: fatal, error, warn, info, debug, trace or silent.')
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @EnvVar(
    'PostgreSQL URL of the least-privilege application role (no DDL; audit trail INSERT and SELECT only).',
    {
      sensitive: true,
    },
  )
  @Matches(POSTGRES_URL, { message: 'must be a postgres:// URL with a database name' })
  DATABASE_URL = 'postgres://ecmo_app:ecmo_app@127.0.0.1:5432/ecmo_registry';

  @EnvVar(
    'PostgreSQL URL of the owner role that runs migrations (never used by the running api or worker).',
    {
      sensitive: true,
    },
  )
  @Matches(POSTGRES_URL, { message: 'must be a postgres:// URL with a database name' })
  DATABASE_MIGRATION_URL = 'postgres://ecmo_owner:ecmo_owner@127.0.0.1:5432/ecmo_registry';

  @EnvVar(
    'PostgreSQL superuser URL used only by `setup` (and the tests) to create the roles and the database when it can reach the server; leave unset where an administrator does that.',
    { sensitive: true },
  )
  @Matches(POSTGRES_URL, { message: 'must be a postgres:// URL with a database name' })
  DATABASE_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

  @EnvVar('Connections in each process’s PostgreSQL pool.')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @EnvVar('Redis URL (BullMQ timers and rate limits; needs maxmemory-policy noeviction).', {
    sensitive: true,
  })
  @Matches(REDIS_URL, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @EnvVar(
    'Prefix of every Redis key this deployment writes (letters, digits, _ . -), so deployments can share a server.',
  )
  @Matches(REDIS_PREFIX, { message: 'must be 1-64 letters, digits, _, . or - (no colon)' })
  REDIS_PREFIX = 'ecmo';

  @EnvVar('Serve the OpenAPI document and UI at /api/docs and /api/docs-json.')
  @Transform(toBoolean)
  @IsBoolean()
  API_DOCS_ENABLED = true;

  @EnvVar('Trust X-Forwarded-For from a reverse proxy for the client address recorded in the audit trail.')
  @Transform(toBoolean)
  @IsBoolean()
  TRUST_PROXY = false;

  @EnvVar(
    'Milliseconds a process waits for in-flight requests and running jobs on shutdown before it gives up.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS = 15000;

  @EnvVar('Milliseconds between worker heartbeat jobs (a liveness proof visible in the database).')
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(86400000)
  HEARTBEAT_INTERVAL_MS = 60000;

  @EnvVar('Version string reported in the API document, logs and export manifests.')
  @IsString()
  APP_VERSION = '0.1.0';
}
