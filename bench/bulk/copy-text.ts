import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value as PostgreSQL's COPY text format reads it (one column of one line). */
export type CopyValue = string | number | boolean | Date | Buffer | object | null | undefined;

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : value;
}

/**
 * One column in COPY text format: `\N` for null, `t`/`f`, ISO instants (timestamptz), `\\x…` for bytea (the
 * hex form, its backslash escaped), JSON for jsonb, and text with backslash, tab and line breaks escaped.
 */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  return escapeText(JSON.stringify(value));
}

/** A table's column names and, for each, how a row object gives its value. */
export interface TableSpec<R> {
  readonly table: string;
  readonly columns: ReadonlyArray<readonly [column: string, value: (row: R) => CopyValue]>;
}

/** Rows of one table for one COPY, kept as encoded lines (strings are compact; row objects are dropped). */
export class CopyBuffer<R> {
  private lines: string[] = [];

  constructor(readonly spec: TableSpec<R>) {}

  get length(): number {
    return this.lines.length;
  }

  add(row: R): void {
    const cols = this.spec.columns;
    let line = copyField(cols[0][1](row));
    for (let i = 1; i < cols.length; i++) line += `\t${copyField(cols[i][1](row))}`;
    this.lines.push(line);
  }

  /** Streams the lines into the table with COPY FROM STDIN (in the caller's transaction), then empties. */
  async copy(client: pg.Client, chunkLines = 2000): Promise<number> {
    const lines = this.lines;
    this.lines = [];
    if (lines.length === 0) return 0;
    const columns = this.spec.columns.map(([name]) => name).join(', ');
    const stream = client.query(copyFrom(`COPY ${this.spec.table} (${columns}) FROM STDIN`));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    // Awaited below; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    for (let i = 0; i < lines.length; i += chunkLines) {
      const chunk = `${lines.slice(i, i + chunkLines).join('\n')}\n`;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (error: Error) => reject(error);
          stream.once('error', onError);
          stream.once('drain', () => {
            stream.off('error', onError);
            resolve();
          });
        });
      }
    }
    stream.end();
    await done;
    return lines.length;
  }
}
