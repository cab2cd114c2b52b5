import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  buildMessage,
  IsInt,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';

/**
 * The field may be left out, but not sent as null: its other validators run on every value but undefined.
 * (class-validator's IsOptional lets null through too, into code that expects the declared type: use it
 * only where null means something, such as clearing a value.)
 */
export function IsOptionalNotNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** Text with at least one character that is not white space (the database refuses blank names too). */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return Matches(/\S/, { message: '$property must not be blank', ...options });
}

/**
 * A number with at most `places` decimal places. class-validator's `IsNumber({ maxDecimalPlaces })` throws a
 * TypeError (a 500) on a number JavaScript writes in exponent form, such as 1e-7 (typestack/class-validator
 * #1705, open): this one compares the number with itself rounded to `places`.
 */
export function MaxDecimalPlaces(places: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxDecimalPlaces',
      constraints: [places],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isFinite(value) && Number(value.toFixed(places)) === value,
        defaultMessage: buildMessage(
          (each) => `${each}$property must have at most ${places} decimal places`,
          options,
        ),
      },
    },
    options,
  );
}

/** A list's `limit` query parameter: a whole number from 1 to 200, 50 when left out. */
export function PageLimit(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 }),
    IsOptionalNotNull(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(200),
  );
}
