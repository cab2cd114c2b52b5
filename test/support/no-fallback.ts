import { constraintFallbacksSoFar } from '../../libs/observability/src/index.js';

/**
 * Issue 24: a database rule that reaches the error filter's fallback (a 422 the service did not check
 * first) fails the test that caused it, whatever that test asserts, for every api started in this process.
 */
let before = 0;

beforeEach(() => {
  before = constraintFallbacksSoFar().length;
});

afterEach(() => {
  const reached = constraintFallbacksSoFar().slice(before);
  if (reached.length > 0) {
    throw new Error(
      `A database rule was left for the error filter's fallback (check it in the service first): ${reached.join(', ')}`,
    );
  }
});
