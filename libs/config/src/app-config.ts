import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { isIP } from 'node:net';
import { EnvVar } from './env-var.decorator.js';

const POSTGRES_URL = /^postgres(ql)?:\/\/[^\s/]+\/[A-Za-z0-9_]+(\?\S*)?$/;
const REDIS_URL = /^rediss?:\/\/\S+$/;
// BullMQ joins its key parts with ':', so a prefix must not contain one.
const REDIS_PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;
// Notify shows a key as `name-<service id>-<secret>`, the last two UUIDs; its client reads them from the end.
const NOTIFY_API_KEY =
  /^\S*-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;
const MASTER_KEYS = /^[a-z0-9-]{1,32}:[^\s,:]{32,}(,[a-z0-9-]{1,32}:[^\s,:]{32,})*$/;

/**
 * TRUST_PROXY's problem, or null: `false`, or a comma-separated list of proxy addresses or CIDR ranges, each
 * narrow enough to name proxies (IPv4 /8 or longer, IPv6 /32 or longer). Hop counts are refused: a hop
 * count trusts whatever address connects, so a client reaching the api directly could choose its address.
 */
function usesNotify(c: AppConfig): boolean {
  return c.SMS_PROVIDER === 'notify' || c.EMAIL_PROVIDER === 'notify';
}

export function trustProxyProblem(value: string): string | null {
  if (value === 'false') return null;
  for (const entry of value.split(',').map((part) => part.trim())) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or CIDR range`;
    if (prefix !== undefined) {
      const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      const [min, max] = family === 4 ? [8, 32] : [32, 128];
      if (!(bits >= min && bits <= max)) return `"${entry}" must have a prefix from /${min} to /${max}`;
    }
  }
  return null;
}

/** Fastify's trustProxy from a valid TRUST_PROXY: none, or the listed proxy addresses and ranges. */
export function trustProxySetting(value: string): false | string[] {
  return value === 'false' ? false : value.split(',').map((part) => part.trim());
}

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return value;
};

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
    : value;

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

  @EnvVar(
    'HTTP port of the web application (the screens for nurses, investigators, data managers and administrators).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WEB_PORT = 3002;

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

  @EnvVar(
    'Milliseconds a process waits for a new PostgreSQL connection before it gives up (the api then answers 503).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600000)
  DATABASE_CONNECT_TIMEOUT_MS = 5000;

  @EnvVar(
    'Milliseconds the api waits for PostgreSQL to answer a query before it answers 503 and drops the connection (a network stall). The worker’s jobs and the exports have no such limit.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600000)
  DATABASE_QUERY_TIMEOUT_MS = 15000;

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

  @EnvVar(
    'Reverse proxies whose X-Forwarded-For gives the client address (audit trail, rate limits): `false` (none, the default) or a comma-separated list of the proxies’ addresses or CIDR ranges. `true` and hop counts are refused: they let a client that reaches the api directly choose its address.',
  )
  @ValidateBy({
    name: 'trustedProxies',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && trustProxyProblem(value) === null,
      defaultMessage: (args) =>
        `must be false or a list of proxy addresses or CIDR ranges: ${trustProxyProblem(String(args?.value))}`,
    },
  })
  TRUST_PROXY = 'false';

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

  @EnvVar(
    'Milliseconds between runs of the follow-up clock, which moves visits as their windows open and close (London days).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86400000)
  FOLLOW_UP_CLOCK_INTERVAL_MS = 900000;

  @EnvVar(
    "Milliseconds between the worker outbox relay's looks for jobs committed by the api (reminders); each look that finds some looks again at once.",
  )
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60000)
  OUTBOX_POLL_INTERVAL_MS = 1000;

  @EnvVar(
    'Local time (HH:MM, Europe/London) at which patient reminders are sent on their day; on a clock-change day a time that does not exist moves to the first moment after the gap.',
  )
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'must be a time HH:MM' })
  REMINDER_SEND_AT = '09:00';

  @EnvVar(
    "Send each site's research nurses a daily digest e-mail (`false`: no digest is scheduled; the worklist endpoint is unchanged).",
  )
  @Transform(toBoolean)
  @IsBoolean()
  NURSE_DIGEST_ENABLED = true;

  @EnvVar(
    "Local time (HH:MM, Europe/London) after which each site's daily digest e-mail goes to its research nurses (through EMAIL_PROVIDER); a worker down at that time sends it when it comes back.",
  )
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'must be a time HH:MM' })
  NURSE_DIGEST_SEND_AT = '07:30';

  @EnvVar(
    "Milliseconds between the worker's checks for sites whose nurses' digest of the day is still to send.",
  )
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3600000)
  NURSE_DIGEST_CHECK_INTERVAL_MS = 600000;

  @EnvVar(
    'Days before a booked appointment on which the patient is reminded, comma-separated (0 = the day itself), e.g. `7,1`.',
  )
  @Matches(/^([0-9]|[1-5][0-9]|60)(,([0-9]|[1-5][0-9]|60)){0,4}$/, {
    message: 'must be up to 5 whole numbers of days from 0 to 60, comma-separated',
  })
  REMINDER_DAYS_BEFORE = '7,1';

  @EnvVar(
    'Provider of SMS reminders: `notify` (GOV.UK Notify) or `log` (development: the message is logged, nothing is sent).',
  )
  @IsIn(['log', 'notify'])
  SMS_PROVIDER: 'log' | 'notify' = 'log';

  @EnvVar(
    'Provider of e-mail reminders: `notify` (GOV.UK Notify), `smtp` (any mail server; at most once, see the README) or `log` (development: nothing is sent).',
  )
  @IsIn(['log', 'notify', 'smtp'])
  EMAIL_PROVIDER: 'log' | 'notify' | 'smtp' = 'log';

  @EnvVar(
    'GOV.UK Notify API key (`name-serviceid-secret`, as Notify shows it); required when a provider is `notify`.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => usesNotify(c) || c.NOTIFY_API_KEY !== undefined)
  @Matches(NOTIFY_API_KEY, { message: 'must be a GOV.UK Notify API key (name-serviceid-secret)' })
  NOTIFY_API_KEY?: string;

  @EnvVar('Base URL of the GOV.UK Notify API (another value only for a Notify-compatible test server).')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  NOTIFY_BASE_URL = 'https://api.notifications.service.gov.uk';

  @EnvVar(
    'Id of the Notify SMS template; its text must be `((body))` (the registry renders the words). Required when SMS_PROVIDER is `notify`.',
  )
  @ValidateIf((c: AppConfig) => c.SMS_PROVIDER === 'notify' || c.NOTIFY_SMS_TEMPLATE_ID !== undefined)
  @IsUUID()
  NOTIFY_SMS_TEMPLATE_ID?: string;

  @EnvVar(
    'Id of the Notify e-mail template; its subject must be `((subject))` and its body `((body))`. Required when EMAIL_PROVIDER is `notify`.',
  )
  @ValidateIf((c: AppConfig) => c.EMAIL_PROVIDER === 'notify' || c.NOTIFY_EMAIL_TEMPLATE_ID !== undefined)
  @IsUUID()
  NOTIFY_EMAIL_TEMPLATE_ID?: string;

  @EnvVar(
    'SMTP server of e-mail reminders, e.g. `smtps://user:password@mail.example.org:465` or `smtp://mail.example.org:587` (STARTTLS when offered); required when EMAIL_PROVIDER is `smtp`.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.EMAIL_PROVIDER === 'smtp' || c.SMTP_URL !== undefined)
  @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @EnvVar('Sender of e-mail reminders over SMTP, e.g. `ECMO follow-up <followup@example.org>`.')
  @ValidateIf((c: AppConfig) => c.EMAIL_PROVIDER === 'smtp' || c.SMTP_FROM !== undefined)
  @IsString()
  @MinLength(3)
  SMTP_FROM?: string;

  @EnvVar(
    'Milliseconds a reminder provider (Notify, SMTP) may take to answer before the delivery is taken as unknown.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(120000)
  MESSAGE_PROVIDER_TIMEOUT_MS = 15000;

  @EnvVar(
    'File the `log` provider appends each message to as a JSON line (rendered text, no address or number), instead of the process log; for development and tests.',
  )
  @ValidateIf((c: AppConfig) => c.MESSAGE_LOG_FILE !== undefined)
  @IsString()
  @MinLength(1)
  MESSAGE_LOG_FILE?: string;

  @EnvVar(
    'Milliseconds between runs of the reminder reconciler, which re-enqueues due reminders whose job was lost (Redis data lost) and settles deliveries left claimed by a crash.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3600000)
  REMINDER_RECONCILE_INTERVAL_MS = 300000;

  @EnvVar(
    'Milliseconds after which a reminder claimed for sending with no recorded outcome is taken as interrupted by a crash and settled by the reconciler (asking the provider where it can); keep it well above the provider timeout.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86400000)
  REMINDER_CLAIM_TIMEOUT_MS = 600000;

  @EnvVar(
    'Key that signs access and refresh tokens (HS256), at least 32 characters; required in production (`setup` writes a random one to .env on a development machine). Changing it signs everyone out.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.JWT_SECRET !== undefined)
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @EnvVar(
    'Key that encrypts the users’ TOTP secrets at rest, at least 32 characters; required in production (`setup` writes a random one to .env on a development machine). Losing it means every user re-enrols MFA.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.MFA_ENCRYPTION_KEY !== undefined)
  @IsString()
  @MinLength(32)
  MFA_ENCRYPTION_KEY?: string;

  @EnvVar(
    'Key of the web application’s sessions (seals a sign-in’s steps, signs the CSRF cookie), at least 32 characters; required in production (`setup` writes a random one to .env on a development machine). Changing it signs everyone out of the web application.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.WEB_SESSION_SECRET !== undefined)
  @IsString()
  @MinLength(32)
  WEB_SESSION_SECRET?: string;

  @EnvVar(
    'Master keys that wrap each patient’s identity data key: `id:secret` pairs (secret 32+ characters) separated by commas, the first one wrapping new keys, the others only unwrapping until `rotate-identity-keys` has re-wrapped every data key. Required in production (`setup` writes one to .env on a development machine).',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.IDENTITY_MASTER_KEYS !== undefined)
  @Matches(MASTER_KEYS, {
    message: 'must be id:secret pairs (id: 1-32 of a-z 0-9 -; secret: 32+ characters) separated by commas',
  })
  IDENTITY_MASTER_KEYS?: string;

  @EnvVar(
    'Key of the keyed hashes (HMAC-SHA256) that find a patient by exact NHS number and refuse duplicates without decrypting anything, 32+ characters. Required in production (`setup` writes one to .env on a development machine); changing it means re-hashing every identity.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.IDENTITY_LOOKUP_KEY !== undefined)
  @IsString()
  @MinLength(32)
  IDENTITY_LOOKUP_KEY?: string;

  @EnvVar(
    'Key of the audit exports’ pseudonyms (HMAC-SHA256 of the patient’s internal id) and per-patient date shifts, 32+ characters, kept outside the database. Required in production (`setup` writes one to .env on a development machine); changing it gives every patient a new pseudonym and shift in later exports, so they no longer join with earlier ones.',
    { sensitive: true },
  )
  @ValidateIf((c: AppConfig) => c.NODE_ENV === 'production' || c.EXPORT_PSEUDONYM_KEY !== undefined)
  @IsString()
  @MinLength(32)
  EXPORT_PSEUDONYM_KEY?: string;

  @EnvVar(
    'Largest date shift, in days either way, of the external-audit exports: each patient has their own shift, never 0, the same in every file.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  EXPORT_DATE_SHIFT_MAX_DAYS = 180;

  @EnvVar(
    'Directory the worker writes audit exports into (one read-only folder per export) and the api serves downloads from: the same storage for both (a shared volume in docker-compose.yml). Relative paths are from the working directory.',
  )
  @IsString()
  @MinLength(1)
  EXPORT_DIR = 'var/exports';

  @EnvVar(
    'When the scheduled audit exports run (the profiles of `EXPORT_SCHEDULE_PROFILES`, cut-off the day before): a 5-field cron pattern in Europe/London, or `off`.',
  )
  @Matches(/^(off|\S+( \S+){4})$/, { message: 'must be a 5-field cron pattern (e.g. `0 2 1 * *`) or `off`' })
  EXPORT_SCHEDULE = '0 2 1 * *';

  @EnvVar(
    'The audit export profiles the schedule asks for, comma-separated: `internal` (exact, for the registry’s analysts), `external_audit` (pseudonymised files for an auditor under agreement), `publication` (aggregates only, safe to publish).',
  )
  @Transform(toList)
  @ArrayNotEmpty()
  @IsIn(['internal', 'external_audit', 'publication'], { each: true })
  EXPORT_SCHEDULE_PROFILES: string[] = ['internal', 'external_audit', 'publication'];

  @EnvVar(
    'The audit export profiles the auditor role may request and download, comma-separated: `external_audit`, `publication` (`internal` is for data managers only).',
  )
  @Transform(toList)
  @ArrayNotEmpty()
  @IsIn(['external_audit', 'publication'], { each: true })
  AUDITOR_EXPORT_PROFILES: string[] = ['external_audit', 'publication'];

  @EnvVar(
    'External-audit and publication exports: a sub-national count from 1 to this number is shown as `*` (NHS hospital statistics practice: 7).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  DISCLOSURE_THRESHOLD = 7;

  @EnvVar(
    'External-audit and publication exports: other sub-national counts are rounded to the nearest multiple of this (1: no rounding).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  DISCLOSURE_ROUNDING = 5;

  @EnvVar(
    'External-audit and publication exports: a site count x of 1 to the threshold is protected when everything a reader holds (this report and the previous one of its profile) still allows it to be as low as x minus this (or 1) and as high as x plus this, within what the national figures allow. Checked by integer programming; more cells are starred until it holds.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  DISCLOSURE_PROTECTION = 5;

  @EnvVar(
    'External-audit exports: every combination of quasi-identifiers (site, age, sex, durations), over a patient’s record joined across the files, is shared by at least this many patients, and a category value held by fewer is shown as other; the files are generalised until it holds, or the export is refused.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  EXPORT_K_ANONYMITY = 5;

  @EnvVar('Expected standard (percent) of the audit criterion "follow-up visit completed in its window".')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  FOLLOW_UP_STANDARD_PERCENT = 90;

  @EnvVar('Issuer (iss) of the tokens this deployment signs, and the only one it accepts.')
  @IsString()
  JWT_ISSUER = 'ecmo-registry';

  @EnvVar('Audience (aud) of the access tokens, and the only one accepted.')
  @IsString()
  JWT_AUDIENCE = 'ecmo-registry-api';

  @EnvVar('Seconds an access token is valid.')
  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @EnvVar('Seconds a refresh token is valid (each use rotates it): how long a session may stay idle.')
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(2592000)
  REFRESH_TOKEN_TTL_SECONDS = 1800;

  @EnvVar(
    'Seconds a session lasts from its sign-in however often it is refreshed (a clinical shift); then sign in again.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(2592000)
  SESSION_MAX_SECONDS = 43200;

  @EnvVar(
    'Days a half-done enrolment in the web application is kept for its nurse; then its answers are destroyed.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(90)
  DRAFT_TTL = 7;

  @EnvVar('Seconds a password reset (or first password) token issued by an administrator is valid.')
  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(604800)
  PASSWORD_RESET_TTL_SECONDS = 86400;

  @EnvVar(
    'Consecutive failed sign-ins (password or code) after which an account locks until an administrator unlocks it.',
  )
  @Transform(toInt)
  @IsInt()
  @Min(3)
  @Max(100)
  LOCKOUT_THRESHOLD = 10;

  @EnvVar('Sign-in attempts allowed per minute for one account (the e-mail), whatever the address.')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_RATE_PER_ACCOUNT = 5;

  @EnvVar('Sign-in attempts allowed per minute from one client address, whatever the account.')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  LOGIN_RATE_PER_ADDRESS = 20;

  @EnvVar(
    'What LOGIN_RATE_PER_ADDRESS counts: `address` (all sign-ins from one client address) or `address_and_account` (each account from one address apart: a hospital behind one NAT address does not trip it, at the cost of letting one address try more accounts; each account keeps its own limit and lockout).',
  )
  @IsIn(['address', 'address_and_account'])
  LOGIN_RATE_ADDRESS_KEY: 'address' | 'address_and_account' = 'address';

  @EnvVar(
    'Requests allowed per minute from one client address on the whole api (shared across api processes).',
  )
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000000)
  API_RATE_PER_ADDRESS = 1200;

  @EnvVar('Version string reported in the API document, logs and export manifests.')
  @IsString()
  APP_VERSION = '0.1.0';
}
