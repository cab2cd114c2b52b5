import { createHash, type Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { DAY_MS } from '../../../time/src/index.js';
import { shiftDate } from '../pseudonym.js';
import type { ColumnKind } from './columns.js';

/** What the stream needs of the pseudonymiser: the same pseudonym and shift for a patient in every file. */
export interface PatientKeying {
  pseudonym(patientId: string): string;
  /** Days to move this patient's dates by: 0 in the internal profile. */
  shiftDays(patientId: string): number;
}

/**
 * Turns COPY's CSV lines into the file's lines, one line at a time so memory stays flat however large the
 * table: the first field (the patient's internal id) becomes the pseudonym, dates and instants move by the
 * patient's shift, the external audit's generalisation is applied (k-anonymity), and everything else passes
 * through unchanged. The header comes first. Counts rows and
 * hashes (SHA-256) exactly the bytes it emits.
 *
 * The columns hold ids, codes, numbers, dates and instants only (columns.ts has no free-text kind), so a line
 * never needs CSV quoting; a quote in a line means a column that should not be there, and fails the export.
 */
export class PseudonymisingStream extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private readonly hash: Hash = createHash('sha256');
  private pending = '';
  private lastPatient = '';
  private lastPseudonym = '';
  private lastShift = 0;
  rows = 0;
  bytes = 0;

  constructor(
    private readonly header: readonly string[],
    private readonly kinds: readonly ColumnKind[],
    private readonly keying: PatientKeying,
    /** Per column, how a non-empty value is generalised after the shift (external audit); null: unchanged. */
    private readonly recode: readonly (((value: string, pseudonym: string) => string) | null)[] = [],
  ) {
    super();
    if (kinds[0] !== 'pseudonym')
      throw new Error('the first column of a patient-level file is the pseudonym');
    this.output(`${header.join(',')}\n`);
  }

  /** The SHA-256 (hex) of everything emitted; call once the stream has finished. */
  sha256(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.pending += this.decoder.write(chunk);
      const end = this.pending.lastIndexOf('\n');
      if (end >= 0) {
        const lines = this.pending.slice(0, end).split('\n');
        this.pending = this.pending.slice(end + 1);
        this.output(lines.map((line) => this.line(line)).join(''));
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') {
      done(new Error('COPY output did not end with a newline'));
      return;
    }
    done();
  }

  private output(text: string): void {
    if (text === '') return;
    const buffer = Buffer.from(text, 'utf8');
    this.hash.update(buffer);
    this.bytes += buffer.length;
    this.push(buffer);
  }

  private line(line: string): string {
    if (line.includes('"')) throw new Error(`a ${this.header.join('/')} line needed CSV quoting`);
    const fields = line.split(',');
    if (fields.length !== this.kinds.length) {
      throw new Error(`expected ${this.kinds.length} fields, COPY gave ${fields.length}`);
    }
    const patient = fields[0];
    if (patient !== this.lastPatient) {
      this.lastPatient = patient;
      this.lastPseudonym = this.keying.pseudonym(patient);
      this.lastShift = this.keying.shiftDays(patient);
    }
    fields[0] = this.lastPseudonym;
    if (this.lastShift !== 0) {
      for (let i = 1; i < fields.length; i++) {
        if (fields[i] === '') continue;
        if (this.kinds[i] === 'date') fields[i] = shiftDate(fields[i], this.lastShift);
        else if (this.kinds[i] === 'instant') fields[i] = shiftInstant(fields[i], this.lastShift);
      }
    }
    for (let i = 1; i < fields.length; i++) {
      const recode = this.recode[i];
      if (recode && fields[i] !== '') fields[i] = recode(fields[i], this.lastPseudonym);
    }
    this.rows++;
    return `${fields.join(',')}\n`;
  }
}

/** `YYYY-MM-DDTHH:MM:SSZ` moved by whole days of 24 hours (UTC has no clock change). */
export function shiftInstant(instant: string, days: number): string {
  const ms = Date.parse(instant);
  if (!Number.isFinite(ms) || !instant.endsWith('Z')) throw new RangeError(`not a UTC instant: ${instant}`);
  return `${new Date(ms + days * DAY_MS).toISOString().slice(0, 19)}Z`;
}
