import type nunjucks from 'nunjucks';

const LONDON = 'Europe/London';

const dayFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: LONDON,
});

/** A London calendar day (`2026-12-07`) as people read it: 7 December 2026. */
export function longDay(value: unknown): string {
  if (typeof value !== 'string') return '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return dayFormat.format(new Date(`${value}T00:00:00Z`));
}

/** An instant in London time: 7 December 2026 at 14:05. */
export function londonDateTime(value: unknown): string {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return typeof value === 'string' ? value : '';
  return dateTimeFormat.format(date).replace(', ', ' at ');
}

/** A code as words: `emergency_enrolled` → Emergency enrolled. */
export function words(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  const text = value
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An NHS number as people read it: 3 3 4 digits. */
export function nhsNumber(value: unknown): string {
  if (typeof value !== 'string') return '';
  const digits = value.replace(/\s/g, '');
  return /^\d{10}$/.test(digits) ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : value;
}

/** Looks up a code's label in a value set (the registry's, loaded at start). */
export type LabelOf = (set: string, code: string) => string | null;

/** The templates' filters. */
export function addFilters(env: nunjucks.Environment, labelOf: LabelOf): void {
  env.addFilter('day', longDay);
  env.addFilter('dateTime', londonDateTime);
  env.addFilter('words', words);
  env.addFilter('nhsNumber', nhsNumber);
  env.addFilter('label', (code: unknown, set: string) => {
    if (typeof code !== 'string' || code === '') return 'Not recorded';
    return labelOf(set, code) ?? words(code);
  });
}
