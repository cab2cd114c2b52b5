import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { REDACTED_KEYS, redactLogLine } from './redaction.js';

function loggerInto(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino({ hooks: { streamWrite: redactLogLine } }, sink);
}

/** The value with every redacted key's value replaced, as the log must show it. */
function censored(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(censored);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        REDACTED_KEYS.has(key.toLowerCase()) ? '[redacted]' : censored(v),
      ]),
    );
  }
  return value;
}

describe('log redaction', () => {
  it('replaces identifiers and credentials wherever they sit in a log line', () => {
    const lines: string[] = [];
    loggerInto(lines).info(
      {
        nhsNumber: '9990000018',
        patient: { dateOfBirth: '1960-01-01', email: 'a@example.org' },
        body: { contact: { phone: '07700900000' } },
        req: { headers: { authorization: 'Bearer abc.def.ghi' } },
        registryId: 'LHB-0007',
        job: { data: { patient: { contact: { nhsNumber: '9990000026' } } } },
        deep: { a: { b: { c: { d: { e: { f: { Postcode: 'SW1A 1AA', NHSNumber: ['9990000034'] } } } } } } },
        err: { type: 'QueryFailedError', code: '23505' },
        queue: { name: 'reminders' },
      },
      'enrolled',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0];
    for (const secret of [
      '9990000026',
      '9990000018',
      '9990000034',
      '1960-01-01',
      'a@example.org',
      '07700900000',
      'abc.def.ghi',
      'SW1A 1AA',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('LHB-0007');
    // What an operator needs to read an error stays visible.
    expect(line).toContain('"code":"23505"');
    expect(line).toContain('"name":"reminders"');
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ msg: 'enrolled', nhsNumber: '[redacted]' });
  });

  it('writes a line without a redacted key unchanged', () => {
    const line = `{"level":30,"msg":"request completed","req":{"url":"/patients/x"},"note":"the \\"phone\\": field"}\n`;
    expect(redactLogLine(line)).toBe(line);
  });

  it('censors exactly the redacted keys of any JSON value, at any depth, and keeps it well-formed', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...REDACTED_KEYS, 'NhsNumber', 'EMAIL', 'Set-Cookie', 'name', 'code'),
    );
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.boolean(),
        ),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (record) => {
        const line = `${JSON.stringify(record)}\n`;
        const out = redactLogLine(line);
        expect(out.endsWith('\n')).toBe(true);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(censored(JSON.parse(line)))));
      }),
      { numRuns: 500 },
    );
  });

  it('withholds a line it cannot parse rather than write it unredacted', () => {
    const out = redactLogLine('{"nhsNumber":"9990000018", broken\n');
    expect(out).not.toContain('9990000018');
    expect(JSON.parse(out)).toEqual({ msg: 'a log line was withheld: it could not be redacted' });
  });
});
