import { ValidationProblem } from './problem-details.js';
import { textProblem, textProblems, WellFormedTextPipe } from './well-formed-text.js';

describe('text that cannot be stored as sent', () => {
  it.each([
    ['plain', 'Robin', null],
    ['emoji (a surrogate pair)', '😀 family 👨‍👩‍👧', null],
    ['combining accent', 'e\u0301', null],
    ['right-to-left override (storable as is)', '\u202Etxt', null],
    ['empty (left to each field: some take it)', '', null],
    ['spaces around words', '  Dr Patel ', null],
    ['spaces only', '   ', 'must not be blank (white space only)'],
    ['a tab and a line break', '\t\n', 'must not be blank (white space only)'],
    ['no-break spaces', '\u00A0\u00A0', 'must not be blank (white space only)'],
    ['NUL', 'a\u0000b', 'contains a NUL character (U+0000), which cannot be stored'],
    [
      'lone high surrogate',
      'x\uD800',
      'is not well-formed Unicode (an unpaired surrogate would be stored changed)',
    ],
    [
      'lone low surrogate',
      '\uDC00x',
      'is not well-formed Unicode (an unpaired surrogate would be stored changed)',
    ],
    [
      'reversed pair',
      '\uDE00\uD83D',
      'is not well-formed Unicode (an unpaired surrogate would be stored changed)',
    ],
  ])('%s', (_name, text, expected) => {
    expect(textProblem(text)).toBe(expected);
  });

  it('names every field, nested and in arrays, keys included', () => {
    expect(
      textProblems({
        identity: { familyName: 'ok', givenName: 'a\u0000' },
        codes: ['ok', '\uD800'],
        ['k\u0000']: 1,
      }),
    ).toEqual([
      { field: 'identity.givenName', reason: 'contains a NUL character (U+0000), which cannot be stored' },
      {
        field: 'codes[1]',
        reason: 'is not well-formed Unicode (an unpaired surrogate would be stored changed)',
      },
      { field: 'k\u0000', reason: 'its name contains a NUL character (U+0000), which cannot be stored' },
    ]);
  });

  it('refuses a body, a query or a path parameter with a validation problem, and passes the rest unchanged', () => {
    const pipe = new WellFormedTextPipe();
    const body = { name: 'Site 😀', n: 3 };
    expect(pipe.transform(body, { type: 'body' })).toBe(body);
    expect(() => pipe.transform({ name: '\u0000' }, { type: 'body' })).toThrow(ValidationProblem);
    expect(() => pipe.transform('a\uD800', { type: 'param', data: 'patientId' })).toThrow(ValidationProblem);
    let refused: unknown;
    try {
      pipe.transform({ q: '\u0000' }, { type: 'query' });
    } catch (error) {
      refused = error;
    }
    expect((refused as ValidationProblem).fieldErrors).toEqual([
      { field: 'q', reason: 'contains a NUL character (U+0000), which cannot be stored' },
    ]);
  });
});
