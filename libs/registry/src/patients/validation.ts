import { registerDecorator, type ValidationOptions } from 'class-validator';
import { nhsNumberProblem } from '../rules/nhs-number.js';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An instant with its offset: a time without a zone is ambiguous twice a year in England. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A real calendar date in strict `YYYY-MM-DD` form (2023-02-29 is refused). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isInstant(value: unknown): value is string {
  return typeof value === 'string' && INSTANT.test(value) && !Number.isNaN(Date.parse(value));
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

export const IsInstant = (options?: ValidationOptions): PropertyDecorator =>
  rule(
    'isInstant',
    'must be a date and time with its UTC offset, e.g. 2026-03-01T14:30:00Z or 2026-07-01T15:30:00+01:00',
    isInstant,
    options,
  );

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
