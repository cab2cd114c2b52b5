import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { AnyRole } from '../../../access/src/index.js';
import { type ValueSetView, ValueSets } from './value-sets.js';

export class ValueSetParams {
  @ApiProperty({ example: 'complication', pattern: '^[a-z][a-z_]*$' })
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
  @ApiOperation({ summary: 'List the value sets' })
  list(): ValueSetView[] {
    return this.valueSets.list();
  }

  @Get(':name')
  @AnyRole()
  @ApiOperation({ summary: "Read a value set's current codes" })
  get(@Param() params: ValueSetParams): ValueSetView {
    return this.valueSets.get(params.name);
  }
}
