import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { flattenValidationErrors, type FieldError } from '../../../libs/observability/src/index.js';
import type { FormError } from './pages.js';

type Form = Record<string, unknown>;

/** A posted field as text ('' when absent or not text). */
export function field(form: Form | undefined, name: string): string {
  const value = form?.[name];
  return typeof value === 'string' ? value : '';
}

/** What the api's own DTO refuses in these values (the same class-validator rules, so the same failures). */
export async function dtoProblems<T extends object>(
  dto: new () => T,
  values: Record<string, unknown>,
): Promise<FieldError[]> {
  const errors = await validate(plainToInstance(dto, values), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return flattenValidationErrors(errors);
}

/** `dtoProblems` as a form's errors, each named by its field's label. */
export async function dtoErrors<T extends object>(
  dto: new () => T,
  values: Record<string, unknown>,
  labels: Record<string, string> = {},
): Promise<FormError[]> {
  return (await dtoProblems(dto, values)).map((e) => ({
    field: e.field,
    text: e.reason.startsWith(labels[e.field] ?? '\u0000')
      ? e.reason
      : `${labels[e.field] ?? e.field} ${e.reason}`,
  }));
}

/**
 * The NHS date input's three fields (posted as `<name>[day]`, `[month]`, `[year]`) as a calendar date, or
 * null if all are blank; `parts` as typed, to show again.
 */
export function dateFrom(
  form: Form | undefined,
  name: string,
): { value: string | null; parts: Record<string, string> } {
  const parts = {
    day: field(form, `${name}[day]`).trim(),
    month: field(form, `${name}[month]`).trim(),
    year: field(form, `${name}[year]`).trim(),
  };
  if (!parts.day && !parts.month && !parts.year) return { value: null, parts };
  const pad = (v: string) => v.padStart(2, '0');
  return { value: `${parts.year}-${pad(parts.month)}-${pad(parts.day)}`, parts };
}
