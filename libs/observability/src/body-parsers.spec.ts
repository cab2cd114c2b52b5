import { jsonDepth } from './body-parsers.js';

describe('jsonDepth', () => {
  it.each([
    ['a number', '1', 0],
    ['an empty object', '{}', 1],
    ['an object in an array', '[{"a":1}]', 2],
    ['siblings do not add up', '{"a":{},"b":[],"c":{"d":[1]}}', 3],
    ['brackets inside strings do not count', '{"a":"[[[{{{"}', 1],
    ['an escaped quote does not end the string', '{"a":"\\"[[["}', 1],
    ['an escaped backslash before the closing quote', '{"a":"x\\\\","b":[[1]]}', 3],
    ['20,000 deep', '['.repeat(20_000) + ']'.repeat(20_000), 20_000],
  ])('%s', (_name, text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });
});
