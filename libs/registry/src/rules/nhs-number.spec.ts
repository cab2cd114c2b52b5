import {
  isTestNhsNumber,
  nhsNumberProblem,
  normaliseNhsNumber,
  NHS_NUMBER_FAILS_MODULUS_11,
  NHS_NUMBER_MUST_BE_10_DIGITS,
  SYNTHETIC_NHS_NUMBER_COUNT,
  syntheticNhsNumber,
} from './nhs-number.js';

// Check digits worked by hand (weights 10..2 on the first nine digits, 11 − (sum mod 11)):
// 943476591 → 90+36+24+28+42+30+20+27+2 = 299; 299 mod 11 = 2; 11 − 2 = 9 (NHS Digital's published example).
// 401023213 → 40+0+8+0+12+15+8+3+6 = 92; 92 mod 11 = 4; 11 − 4 = 7.
// 999000001 → 90+81+72+0+0+0+0+0+2 = 245; 245 mod 11 = 3; 11 − 3 = 8.
// 999000005 → 243+10 = 253 = 11 × 23; 11 − 0 = 11, which means 0.
// 999000000 → 243; 243 mod 11 = 1; 11 − 1 = 10: no valid check digit, so 999000000x is never valid.
// 999999999 → 243+63+54+45+36+27+18 = 486; 486 mod 11 = 2; 11 − 2 = 9.
// 000000000 → 0; 11 − 0 = 11, which means 0 (passes the check: the guide asks for the check only).
describe('nhsNumberProblem', () => {
  it.each([
    ['9434765919', 'the NHS Digital example'],
    ['4010232137', 'a check digit of 7'],
    ['9990000018', 'the first test number'],
    ['9990000050', 'a result of 11 meaning a check digit of 0'],
    ['9999999999', 'the last test number'],
    ['0000000000', 'all zeros (the check alone is applied)'],
    ['999 000 0018', 'spaces in 3-3-4 groups'],
    ['999-000-0018', 'hyphens in 3-3-4 groups'],
    ['9 9 9 0 0 0 0 0 1 8', 'a space between every digit'],
    ['999 000-0018', 'mixed separators'],
  ])('accepts %j (%s)', (input) => {
    expect(nhsNumberProblem(input)).toBeNull();
  });

  it.each([
    ['9434765918', 'the NHS Digital example with a wrong check digit'],
    ['9434765910', 'a check digit of 0 where 9 is due'],
    ['9990000019', 'the first test number with a wrong check digit'],
    ['9990000000', 'a stem whose check digit would be 10'],
    ['9990000009', 'a stem whose check digit would be 10, last digit 9'],
    ['1234567890', 'a stem whose check digit would be 10'],
    ['4010232173', 'two digits transposed'],
  ])('refuses %j by the Modulus 11 check (%s)', (input) => {
    expect(nhsNumberProblem(input)).toBe(NHS_NUMBER_FAILS_MODULUS_11);
  });

  it.each([
    ['', 'empty'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['943 476 591', 'nine digits with spaces'],
    [' 9434765919', 'a leading space'],
    ['9434765919 ', 'a trailing space'],
    ['-9434765919', 'a leading hyphen'],
    ['943  476 5919', 'a doubled space'],
    ['943--476-5919', 'a doubled hyphen'],
    ['943.476.5919', 'dots'],
    ['943/476/5919', 'slashes'],
    ['943\t476\t5919', 'tabs'],
    ['943476591A', 'a letter'],
    ['94347659l9', 'a lower-case L for a 1'],
    ['９４３４７６５９１９', 'full-width digits'],
    ['٩٤٣٤٧٦٥٩١٩', 'Arabic-Indic digits'],
    ['+9434765919', 'a sign'],
  ])('refuses %j as not 10 digits (%s)', (input) => {
    expect(nhsNumberProblem(input)).toBe(NHS_NUMBER_MUST_BE_10_DIGITS);
  });
});

describe('normaliseNhsNumber', () => {
  it.each([
    ['9434765919', '9434765919'],
    ['943 476 5919', '9434765919'],
    ['999-000-0018', '9990000018'],
    ['999 000-0018', '9990000018'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseNhsNumber(input)).toBe(expected);
  });

  it.each(['9434765918', '943.476.5919', ''])('throws on the invalid %j', (input) => {
    expect(() => normaliseNhsNumber(input)).toThrow(RangeError);
  });
});

describe('isTestNhsNumber', () => {
  it.each([
    ['9990000018', true],
    ['999 000 0018', true],
    ['9999999999', true],
    ['9990000019', false], // begins 999 but fails the check
    ['9990000000', false], // begins 999, check digit would be 10
    ['9434765919', false], // valid but not in the test range
    ['0000000000', false],
    ['999', false],
  ])('%j → %s', (input, expected) => {
    expect(isTestNhsNumber(input)).toBe(expected);
  });
});

describe('syntheticNhsNumber', () => {
  it.each([
    [0, '9990000018'],
    [1, '9990000026'],
    [4, '9990000050'],
    [5, '9990000069'],
    [9, '9990000107'], // 999000010x follows the skipped 999000000x… stems
    [1000, '9990011028'],
    [19_999, '9990219990'],
    [SYNTHETIC_NHS_NUMBER_COUNT - 1, '9999999999'],
  ])('number %i is %s', (index, expected) => {
    expect(syntheticNhsNumber(index)).toBe(expected);
  });

  it('holds 909,091 numbers: the 10^6 stems of the 999 range less those needing a check digit of 10', () => {
    expect(SYNTHETIC_NHS_NUMBER_COUNT).toBe(909_091);
  });

  it('gives valid, distinct, ascending test numbers over the first 20,000 indices', () => {
    const numbers = Array.from({ length: 20_000 }, (_, i) => syntheticNhsNumber(i));
    expect(numbers.filter((n) => nhsNumberProblem(n) !== null || !isTestNhsNumber(n))).toEqual([]);
    expect(numbers.filter((n) => !n.startsWith('999'))).toEqual([]);
    expect(numbers.filter((n, i) => i > 0 && n <= numbers[i - 1])).toEqual([]);
    expect(new Set(numbers).size).toBe(20_000);
  });

  it('is deterministic', () => {
    expect(syntheticNhsNumber(123_456)).toBe(syntheticNhsNumber(123_456));
  });

  it.each([-1, 0.5, Number.NaN, SYNTHETIC_NHS_NUMBER_COUNT, 1_000_000])('throws on the index %s', (index) => {
    expect(() => syntheticNhsNumber(index)).toThrow(RangeError);
  });
});
