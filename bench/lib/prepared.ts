import type pg from 'pg';

/** One name per statement text (a connection prepares each on first use). */
const names = new Map<string, string>();

/**
 * `text` as a named prepared statement: the bare baselines run their statements as the api runs its hot
 * ones (libs/database/src/prepared.ts), so that PostgreSQL parses and plans neither side's statements on
 * every use and the ratio compares the work around them, not the protocol.
 */
export function prepared(text: string, values: readonly unknown[] = []): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `bench_${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values: [...values] };
}

/** A client whose parameterised queries are all prepared (see `prepared`). */
export interface PreparingClient {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export function preparing(client: pg.ClientBase | pg.Pool): PreparingClient {
  return {
    query: <R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) =>
      client.query<R>(prepared(text, values)),
  };
}
