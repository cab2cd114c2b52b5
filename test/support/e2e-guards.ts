import { constraintFallbacksSoFar } from '../../libs/observability/src/index.js';
import { responseMismatches } from './response-validation.js';

/**
 * Issue 24: a database rule that reaches the error filter's fallback (a 422 the service did not check
 * first), or an answer that does not match the committed OpenAPI document, fails the test that caused it,
 * whatever that test asserts, for every api started in this process.
 */
let before = 0;
let mismatchesBefore = 0;

beforeEach(() => {
  before = constraintFallbacksSoFar().length;
  mismatchesBefore = responseMismatches().length;
});

afterEach(() => {
  const mismatched = responseMismatches().slice(mismatchesBefore);
  if (mismatched.length > 0) {
    throw new Error(
      `Answers that do not match openapi.json (fix the code or the document):\n${[...new Set(mismatched)].join('\n')}`,
    );
  }
  const reached = constraintFallbacksSoFar().slice(before);
  if (reached.length > 0) {
    throw new Error(
      `A database rule was left for the error filter's fallback (check it in the service first): ${reached.join(', ')}`,
    );
  }
});
