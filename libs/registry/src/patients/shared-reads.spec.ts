import { SharedReads } from './extensions.js';

describe('SharedReads (the reads the hooks of one change share)', () => {
  it('reads each key once, whoever asks first, and keeps keys apart', async () => {
    const reads = new SharedReads();
    let calls = 0;
    const read = (value: string) => () => {
      calls += 1;
      return Promise.resolve(value);
    };
    const [a, b] = await Promise.all([reads.once('a', read('first')), reads.once('a', read('second'))]);
    expect([a, b]).toEqual(['first', 'first']);
    expect(await reads.once('b', read('other'))).toBe('other');
    expect(calls).toBe(2);
    // Another change starts with nothing read.
    expect(await new SharedReads().once('a', read('fresh'))).toBe('fresh');
  });
});
