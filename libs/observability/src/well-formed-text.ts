import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { ValidationProblem, type FieldError } from './problem-details.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text made of white space only (spaces, tabs, line breaks, no-break spaces), and not empty. */
const BLANK = /^\s+$/;

/**
 * Why a string cannot be stored as it was sent, or null. White space alone says nothing a reader could use
 * (an author, a reason, a place) and the database refuses it where it checks: it is refused as empty text is.
 */
export function textProblem(text: string): string | null {
  if (BLANK.test(text)) return 'must not be blank (white space only)';
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (UNPAIRED_SURROGATE.test(text))
    return 'is not well-formed Unicode (an unpaired surrogate would be stored changed)';
  return null;
}

/** Every string of a JSON value (keys too) that cannot be stored as sent, with its field path. */
export function textProblems(value: unknown, path = ''): FieldError[] {
  if (typeof value === 'string') {
    const reason = textProblem(value);
    return reason ? [{ field: path || '(body)', reason }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => textProblems(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const field = path ? `${path}.${key}` : key;
      const reason = textProblem(key);
      return [...(reason ? [{ field, reason: `its name ${reason}` }] : []), ...textProblems(item, field)];
    });
  }
  return [];
}

/**
 * Refuses, with 400 and the field, text PostgreSQL would refuse (NUL, white space only where it checks) or
 * that would be stored changed (an unpaired surrogate becomes U+FFFD in UTF-8): nothing is silently altered,
 * and nothing reaches the database as a 500. Runs before the validation pipe, on bodies, queries and path
 * parameters, so that every text field, today's and tomorrow's, is covered.
 */
@Injectable()
export class WellFormedTextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const problems = textProblems(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
    if (problems.length > 0) throw new ValidationProblem(problems);
    return value;
  }
}
