import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACTED_PATHS } from './redaction.js';

describe('log redaction', () => {
  it('replaces identifiers and credentials wherever they sit in a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info(
      {
        nhsNumber: '9990000018',
        patient: { dateOfBirth: '1960-01-01', email: 'a@example.org' },
        body: { contact: { phone: '07700900000' } },
        req: { headers: { authorization: 'Bearer abc.def.ghi' } },
        registryId: 'LHB-0007',
        job: { data: { patient: { contact: { nhsNumber: '9990000026' } } } },
        err: { type: 'QueryFailedError', code: '23505' },
        queue: { name: 'reminders' },
      },
      'enrolled',
    );
    const line = lines.join('');
    for (const secret of [
      '9990000026',
      '9990000018',
      '1960-01-01',
      'a@example.org',
      '07700900000',
      'abc.def.ghi',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('LHB-0007');
    // What an operator needs to read an error stays visible.
    expect(line).toContain('"code":"23505"');
    expect(line).toContain('"name":"reminders"');
  });
});
