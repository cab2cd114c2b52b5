import type { DataSourceOptions, MixedList, EntitySchema, MigrationInterface } from 'typeorm';
import { MIGRATIONS_TABLE } from './roles.js';

/** The schema's migrations, oldest first: the app or command that composes the libs hands them down. */
export type MigrationList = readonly (new () => MigrationInterface)[];

export interface PostgresOptionsInput {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName: string;
  /** Give up on a new connection after this long (node-postgres waits for ever by default). */
  readonly connectTimeoutMs?: number;
  /** Give up on a query's answer after this long (the api: a stalled network must not hang its requests). */
  readonly queryTimeoutMs?: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities?: MixedList<Function | string | EntitySchema>;
  /** migrations/index.ts's list, where the DataSource runs or checks them (none for a plain connection). */
  readonly migrations?: MigrationList;
}

/**
 * The one shape of PostgreSQL connection options, shared by the apps (as the application role), the
 * migration commands (as the owner role) and the tests. `synchronize` is never on: the schema changes only
 * through the migrations listed in migrations/index.ts, which the caller hands in.
 */
export function postgresOptions(input: PostgresOptionsInput): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.url,
    synchronize: false,
    migrationsRun: false,
    migrations: [...(input.migrations ?? [])],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    entities: input.entities ?? [],
    poolSize: input.poolSize ?? 10,
    applicationName: input.applicationName,
    ...(input.connectTimeoutMs === undefined ? {} : { connectTimeoutMS: input.connectTimeoutMs }),
    // Every instant is a timestamptz; the session zone keeps what psql shows in UTC.
    extra: {
      options: '-c TimeZone=UTC',
      ...(input.queryTimeoutMs === undefined ? {} : { query_timeout: input.queryTimeoutMs }),
    },
  };
}
