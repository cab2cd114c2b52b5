/** The parts of a postgres:// URL that the setup command needs to create roles and the database. */
export interface PostgresUrlParts {
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
}

export function parsePostgresUrl(url: string): PostgresUrlParts {
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Quotes an SQL identifier (role or database name) the way PostgreSQL's quote_ident does. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal, for statements (CREATE ROLE … PASSWORD) that take no bind parameters. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
