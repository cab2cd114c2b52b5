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

/** The templates' filters. */
export function addFilters(env: nunjucks.Environment): void {
  env.addFilter('day', longDay);
  env.addFilter('dateTime', londonDateTime);
}
