import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PseudonymisingStream } from '../../libs/exports/src/dataset/pseudonymising-stream.js';
import { copyQuery, cutOffOf, EXPORT_TABLES } from '../../libs/exports/src/dataset/tables.js';
import { Pseudonymiser } from '../../libs/exports/src/pseudonym.js';

/** Peak resident set size so far (VmHWM), in bytes. */
function peakRss(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.replace(/\D+/g, '')) * 1024 : process.memoryUsage().rss;
}

/**
 * One patient-level file of an export, as the export generator writes it (libs/exports/src/audit-exports/
 * export-generator.ts, `writeFiles`): `COPY (the table's query) TO STDOUT` in a REPEATABLE READ transaction,
 * through the pseudonymising stream (pseudonyms, date shifts of the external profile, SHA-256), to a file.
 * Run as a process of its own, pinned, so that its memory is its own: prints rows, bytes, milliseconds, the
 * resident set before the COPY and the peak after.
 */
async function main(): Promise<void> {
  const [file, cutOff, out] = process.argv.slice(2);
  const table = EXPORT_TABLES.find((t) => t.file === file);
  if (!table || !cutOff || !out) throw new Error('usage: export-child <file> <cut-off> <out>');
  const pseudonymiser = new Pseudonymiser(
    process.env.EXPORT_PSEUDONYM_KEY!,
    Number(process.env.EXPORT_DATE_SHIFT_MAX_DAYS ?? '180'),
  );
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const stream = new PseudonymisingStream(
      table.columns.map((c) => c.name),
      table.columns.map((c) => c.kind),
      { pseudonym: (id) => pseudonymiser.pseudonym(id), shiftDays: (id) => pseudonymiser.shiftDays(id) },
    );
    await pipeline(client.query(copyTo(copyQuery(table, cutOffOf(cutOff)))), stream, createWriteStream(out));
    const ms = performance.now() - started;
    await client.query('COMMIT');
    process.stdout.write(
      `${JSON.stringify({ rows: stream.rows, bytes: stream.bytes, ms, rssBefore: before, peakRss: peakRss() })}\n`,
    );
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
