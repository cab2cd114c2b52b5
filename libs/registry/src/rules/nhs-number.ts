/**
 * NHS number rules (domain guide §3 item 1; NHS Data Dictionary, "NHS Number"): ten digits, the last a
 * Modulus 11 check digit. Pure functions: no I/O, no clock.
 */

export const NHS_NUMBER_MUST_BE_10_DIGITS = 'must be 10 digits';
export const NHS_NUMBER_FAILS_MODULUS_11 = 'fails the Modulus 11 check';

/** Weights of the first nine digits in the Modulus 11 check (10 down to 2). */
const WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Prefix of the test range: numbers beginning 999 are never issued to a person. */
const TEST_PREFIX = '999';

/**
 * Ten ASCII digits, optionally with one space or one hyphen between two digits (`999 000 0018`,
 * `999-000-0018`, any grouping). No leading, trailing or doubled separators, no other characters.
 */
const FORMAT = /^[0-9](?:[ -]?[0-9])*$/;

/**
 * The Modulus 11 check digit for nine digits, as the NHS Data Dictionary defines it: multiply each digit by
 * its weight (10..2), sum, take 11 − (sum mod 11); 11 means 0 and 10 means no valid check digit (null).
 */
function checkDigit(firstNine: string): number | null {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine[i]) * WEIGHTS[i];
  const result = 11 - (sum % 11);
  if (result === 11) return 0;
  if (result === 10) return null;
  return result;
}

/**
 * Why `input` is not a valid NHS number, or null when it is: 10 digits (spaces or hyphens allowed between
 * them, nothing else) whose tenth digit is the Modulus 11 check digit of the first nine (NHS Data Dictionary;
 * domain guide §3 item 1). Only the check is applied, as the guide specifies: no check of issued ranges.
 */
export function nhsNumberProblem(input: string): string | null {
  if (!FORMAT.test(input)) return NHS_NUMBER_MUST_BE_10_DIGITS;
  const digits = input.replace(/[ -]/g, '');
  if (digits.length !== 10) return NHS_NUMBER_MUST_BE_10_DIGITS;
  const expected = checkDigit(digits.slice(0, 9));
  if (expected === null || expected !== Number(digits[9])) return NHS_NUMBER_FAILS_MODULUS_11;
  return null;
}

/**
 * The 10 digits of a valid NHS number, separators removed (the stored form). Call only after
 * {@link nhsNumberProblem} returned null; throws a RangeError on an invalid number rather than storing one.
 */
export function normaliseNhsNumber(input: string): string {
  const problem = nhsNumberProblem(input);
  if (problem !== null) throw new RangeError(`Not a valid NHS number: ${problem}`);
  return input.replace(/[ -]/g, '');
}

/**
 * Whether `nhsNumber` is a test number: valid and beginning 999, a range never issued to a person (domain
 * guide §3 item 1). Separators are accepted as in {@link nhsNumberProblem}.
 */
export function isTestNhsNumber(nhsNumber: string): boolean {
  return nhsNumberProblem(nhsNumber) === null && normaliseNhsNumber(nhsNumber).startsWith(TEST_PREFIX);
}

// Synthetic numbers: `999` then six free digits (weights 7..2) then the check digit. A choice of the six free
// digits is usable unless its weighted sum makes the check digit 10, i.e. the total sum ≡ 1 (mod 11).
// COMPLETIONS[k][r] counts the usable choices of free digits k..5 when the weighted sum so far is ≡ r (mod 11).
const FREE_WEIGHTS = WEIGHTS.slice(TEST_PREFIX.length);
const PREFIX_RESIDUE = [...TEST_PREFIX].reduce((sum, d, i) => sum + Number(d) * WEIGHTS[i], 0) % 11;
const COMPLETIONS: number[][] = (() => {
  const table: number[][] = Array.from({ length: FREE_WEIGHTS.length + 1 }, () =>
    new Array<number>(11).fill(0),
  );
  for (let r = 0; r < 11; r++) table[FREE_WEIGHTS.length][r] = r === 1 ? 0 : 1;
  for (let k = FREE_WEIGHTS.length - 1; k >= 0; k--) {
    for (let r = 0; r < 11; r++) {
      let count = 0;
      for (let d = 0; d <= 9; d++) count += table[k + 1][(r + FREE_WEIGHTS[k] * d) % 11];
      table[k][r] = count;
    }
  }
  return table;
})();

/** How many valid NHS numbers the 999 test range holds (fewer than 10^6: some would need check digit 10). */
export const SYNTHETIC_NHS_NUMBER_COUNT = COMPLETIONS[0][PREFIX_RESIDUE];

/**
 * The `index`-th valid NHS number of the 999 test range in ascending order (index 0 is 9990000018, since no
 * 999000000x is valid), skipping nine-digit stems whose check digit would be 10. Deterministic and distinct
 * for every index from 0 to {@link SYNTHETIC_NHS_NUMBER_COUNT} − 1; throws a RangeError outside it. Test
 * numbers only (domain guide §3 item 1): safe for synthetic and demo data.
 */
export function syntheticNhsNumber(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index >= SYNTHETIC_NHS_NUMBER_COUNT) {
    throw new RangeError(
      `Synthetic NHS number index must be an integer from 0 to ${SYNTHETIC_NHS_NUMBER_COUNT - 1}, got ${index}`,
    );
  }
  let remaining = index;
  let residue = PREFIX_RESIDUE;
  let stem = TEST_PREFIX;
  for (let k = 0; k < FREE_WEIGHTS.length; k++) {
    for (let d = 0; d <= 9; d++) {
      const next = (residue + FREE_WEIGHTS[k] * d) % 11;
      const count = COMPLETIONS[k + 1][next];
      if (remaining < count) {
        stem += String(d);
        residue = next;
        break;
      }
      remaining -= count;
    }
  }
  // The walk above only ends on a stem whose check digit exists.
  return stem + String(checkDigit(stem));
}
