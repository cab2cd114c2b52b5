import { registerDecorator, type ValidationOptions } from 'class-validator';
import { nhsNumberProblem } from '../rules/nhs-number.js';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An instant with its offset: a time without a zone is ambiguous twice a year in England. */
const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const INSTANT_FORM =
  'must be a date and time with its UTC offset, e.g. 2026-03-01T14:30:00Z or 2026-07-01T15:30:00+01:00';

/** A real calendar date in strict `YYYY-MM-DD` form (2023-02-29 is refused). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Why `value` is not an instant, or null. A day or a time that does not exist (2026-11-31, 24:00, an offset
 * of +15:00) is refused, never normalised: JavaScript's Date would silently read 2026-11-31 as 1 December.
 */
export function instantProblem(value: unknown): string | null {
  if (typeof value !== 'string') return INSTANT_FORM;
  const match = INSTANT.exec(value);
  if (!match) return INSTANT_FORM;
  const [, date, hours, minutes, seconds, offsetHours, offsetMinutes] = match;
  // A copy is tested: the guard would narrow `date` itself to never in the message.
  if (!isCalendarDate(`${date}`)) return `names a day that does not exist (${date})`;
  const beyond = (part: string | undefined, limit: number) => part !== undefined && Number(part) > limit;
  if (beyond(hours, 23) || beyond(minutes, 59) || beyond(seconds, 59)) {
    return `names a time that does not exist (${value.slice(11)})`;
  }
  // UTC offsets in use run from -12:00 to +14:00.
  if (beyond(offsetHours, 14) || beyond(offsetMinutes, 59)) return `has an offset that does not exist`;
  return Number.isNaN(Date.parse(value)) ? INSTANT_FORM : null;
}

export function isInstant(value: unknown): value is string {
  return instantProblem(value) === null;
}

function rule(
  name: string,
  message: string,
  test: (value: unknown) => boolean,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message, ...options },
      validator: { validate: test },
    });
}

export const IsCalendarDate = (options?: ValidationOptions): PropertyDecorator =>
  rule('isCalendarDate', 'must be a real date in YYYY-MM-DD form', isCalendarDate, options);

export const IsInstant =
  (options?: ValidationOptions): PropertyDecorator =>
  (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: (args) => instantProblem(args.value) ?? INSTANT_FORM, ...options },
      validator: { validate: isInstant },
    });

/** Ten digits (spaces or hyphens between them allowed) passing the Modulus 11 check; the reason says which. */
export function IsNhsNumber(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isNhsNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args) =>
          typeof args.value === 'string'
            ? `NHS number ${nhsNumberProblem(args.value) ?? 'is invalid'}`
            : 'NHS number must be a string of 10 digits',
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && nhsNumberProblem(value) === null,
      },
    });
}

/** `{ field: reasonCode }`: an object of strings (the keys and codes are checked against the record). */
export const IsMissingReasons = (): PropertyDecorator =>
  rule(
    'isMissingReasons',
    'must be an object mapping a field name to a missing_reason code (or null, in a correction, to remove it)',
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string' || v === null),
  );
