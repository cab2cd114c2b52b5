import { validateSync } from 'class-validator';
import { IsNotBlank, IsOptionalNotNull, MaxDecimalPlaces } from './validators.js';

class Sample {
  @IsOptionalNotNull()
  @MaxDecimalPlaces(1)
  lactate?: unknown;

  @IsOptionalNotNull()
  @IsNotBlank()
  name?: unknown;
}

const errors = (values: Partial<Sample>) =>
  validateSync(Object.assign(new Sample(), values)).flatMap((e) => Object.keys(e.constraints ?? {}));

describe('validators', () => {
  it.each([
    [7.2, []],
    [7, []],
    [-0, []],
    [7.25, ['maxDecimalPlaces']],
    // Written in exponent form by JavaScript: class-validator's own check throws on these.
    [1e-7, ['maxDecimalPlaces']],
    [-9e-323, ['maxDecimalPlaces']],
    [1e21, []],
    ['7.2', ['maxDecimalPlaces']],
  ])('decimal places of %p', (lactate, expected) => {
    expect(errors({ lactate })).toEqual(expected);
  });

  it('takes a field left out, refuses null for one that cannot be removed', () => {
    expect(errors({})).toEqual([]);
    expect(errors({ lactate: null })).toEqual(['maxDecimalPlaces']);
    expect(errors({ name: null })).toEqual(['matches']);
  });

  it.each([
    ['Northern General', []],
    [' ', ['matches']],
    ['\t\n', ['matches']],
    ['\uFEFF', ['matches']],
  ])('blank or not: %p', (name, expected) => {
    expect(errors({ name })).toEqual(expected);
  });
});
