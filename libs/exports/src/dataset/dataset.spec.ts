import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvField, dataDictionary, DICTIONARY_HEADER } from './dictionary.js';
import { PseudonymisingStream, shiftInstant, type PatientKeying } from './pseudonymising-stream.js';
import { copyQuery, cutOffOf, EXPORT_TABLES } from './tables.js';

const KEYING: PatientKeying = {
  pseudonym: (id) => `p-${id}`,
  shiftDays: (id) => (id === 'a' ? 3 : -40),
};

/** Runs text through the stream in the given chunks; answers the output, the hash and the row count. */
async function run(chunks: readonly string[], kinds = ['pseudonym', 'date', 'instant', 'integer'] as const) {
  const stream = new PseudonymisingStream(['pseudonym', 'on', 'at', 'n'], kinds, KEYING);
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), stream);
  return { out, sha256: stream.sha256(), rows: stream.rows, bytes: stream.bytes };
}

const INPUT = 'a,2026-02-27,2026-03-29T00:30:00Z,7\na,,,\nb,2026-01-10,2026-01-10T12:00:00Z,0\n';
const OUTPUT = [
  'pseudonym,on,at,n',
  'p-a,2026-03-02,2026-04-01T00:30:00Z,7',
  'p-a,,,',
  'p-b,2025-12-01,2025-12-01T12:00:00Z,0',
  '',
].join('\n');

describe('PseudonymisingStream', () => {
  it('writes the header, replaces the id by the pseudonym and moves dates by the patient’s own shift', async () => {
    const result = await run([INPUT]);
    expect(result.out).toBe(OUTPUT);
    expect(result.rows).toBe(3);
    expect(result.bytes).toBe(Buffer.byteLength(OUTPUT));
    expect(result.sha256).toBe(createHash('sha256').update(OUTPUT).digest('hex'));
  });

  it('gives the same bytes wherever COPY splits its chunks', async () => {
    for (let cut = 1; cut < INPUT.length; cut++) {
      expect((await run([INPUT.slice(0, cut), INPUT.slice(cut)])).out).toBe(OUTPUT);
    }
  });

  it('leaves dates alone when the shift is 0 (internal profile)', async () => {
    const stream = new PseudonymisingStream(['pseudonym', 'on'], ['pseudonym', 'date'], {
      pseudonym: () => 'x',
      shiftDays: () => 0,
    });
    let out = '';
    stream.on('data', (b: Buffer) => (out += b.toString()));
    await pipeline(Readable.from([Buffer.from('a,2026-02-27\n')]), stream);
    expect(out).toBe('pseudonym,on\nx,2026-02-27\n');
  });

  it('fails rather than write a line that needed quoting, a line of the wrong width, or a cut-off line', async () => {
    await expect(run(['a,"2026-01-01",x,1\n'])).rejects.toThrow(/quoting/);
    await expect(run(['a,2026-01-01\n'])).rejects.toThrow(/expected 4 fields/);
    await expect(run(['a,2026-01-01,2026-01-01T00:00:00Z,1'])).rejects.toThrow(/newline/);
  });
});

describe('shiftInstant', () => {
  it.each([
    ['2028-02-28T23:30:00Z', 1, '2028-02-29T23:30:00Z'],
    ['2026-03-28T12:00:00Z', 2, '2026-03-30T12:00:00Z'],
    ['2026-01-01T00:00:00Z', -1, '2025-12-31T00:00:00Z'],
  ])('%s moved %i days is %s (whole days of 24 h, in UTC)', (instant, days, expected) => {
    expect(shiftInstant(instant, days)).toBe(expected);
  });

  it('refuses what is not a UTC instant', () => {
    expect(() => shiftInstant('2026-01-01T00:00:00+01:00', 1)).toThrow(RangeError);
  });
});

describe('the patient-level tables', () => {
  it('start every file with the pseudonym, and name each column once', () => {
    for (const table of EXPORT_TABLES) {
      expect(table.columns[0].kind).toBe('pseudonym');
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('cut at the end of the cut-off day in London: midnight BST in summer, GMT in winter', () => {
    expect(cutOffOf('2026-07-31').endsAt.toISOString()).toBe('2026-07-31T23:00:00.000Z');
    expect(cutOffOf('2026-10-31').endsAt.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    // The day the clocks go back (25 hours long) ends at midnight GMT.
    expect(cutOffOf('2026-10-25').endsAt.toISOString()).toBe('2026-10-26T00:00:00.000Z');
    const sql = copyQuery(EXPORT_TABLES[0], cutOffOf('2026-07-31'));
    expect(sql).toContain(`'2026-07-31'::date`);
    expect(sql).toContain(`'2026-07-31T23:00:00.000Z'::timestamptz`);
  });

  it('refuse a cut-off that is not a date before it reaches SQL', () => {
    expect(() => copyQuery(EXPORT_TABLES[0], { date: "2026-01-01'; --", endsAt: new Date() })).toThrow(
      RangeError,
    );
  });
});

describe('dataDictionary', () => {
  const sets = new Map(
    [...new Set(EXPORT_TABLES.flatMap((t) => t.columns.map((c) => c.valueSet)))]
      .filter((name): name is string => name !== undefined)
      .map((name) => [name, { version: 2, codes: [`${name}_a`, `${name}_b`] }]),
  );

  it('has a line for every column of every file, with the value set’s codes at its version', () => {
    const lines = dataDictionary(EXPORT_TABLES, sets, false).trimEnd().split('\n');
    expect(lines[0]).toBe(DICTIONARY_HEADER.join(','));
    expect(lines.length - 1).toBe(EXPORT_TABLES.reduce((n, t) => n + t.columns.length, 0));
    const sex = lines.find((l) => l.startsWith('patients.csv,sex,'));
    expect(sex).toBe('patients.csv,sex,code,,Phenotypic sex.,sex,2,sex_a|sex_b');
    expect(lines.find((l) => l.startsWith('operations.csv,redo,'))).toMatch(/,true\|false$/);
  });

  it('says, in the external profile, that dates are shifted', () => {
    const line = (shifted: boolean) =>
      dataDictionary(EXPORT_TABLES, sets, shifted)
        .split('\n')
        .find((l) => l.startsWith('operations.csv,operation_date,'));
    expect(line(false)).not.toContain('Shifted');
    expect(line(true)).toContain('Shifted by the patient');
  });

  it('refuses a column whose value set the database does not have', () => {
    expect(() => dataDictionary(EXPORT_TABLES, new Map(), false)).toThrow(/value set .* not found/);
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a, b', '"a, b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [null, ''],
    [3, '3'],
  ])('%j is written %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});
