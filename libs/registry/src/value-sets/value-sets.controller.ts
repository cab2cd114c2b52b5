import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { AnyRole } from '../../../access/src/index.js';
import { type ValueSetView, ValueSets } from './value-sets.js';

export class ValueSetParams {
  @Matches(/^[a-z][a-z_]*$/, { message: 'must be a value set name such as complication' })
  name: string;
}

@ApiTags('value sets')
@ApiBearerAuth()
@Controller('value-sets')
export class ValueSetsController {
  constructor(private readonly valueSets: ValueSets) {}

  /** Every value set with its current version and codes (the data dictionary of coded fields). */
  @Get()
  @AnyRole()
  list(): ValueSetView[] {
    return this.valueSets.list();
  }

  @Get(':name')
  @AnyRole()
  get(@Param() params: ValueSetParams): ValueSetView {
    return this.valueSets.get(params.name);
  }
}
