import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VALUE_SET_ENTITIES } from './value-sets/value-set.entities.js';
import { ValueSets, ValueSetsController } from './value-sets/value-sets.js';

/** The registry's clinical core (issue 4): today its value sets; patients, consent, runs and outcomes next. */
@Module({
  imports: [TypeOrmModule.forFeature(VALUE_SET_ENTITIES)],
  controllers: [ValueSetsController],
  providers: [ValueSets],
  exports: [ValueSets],
})
export class RegistryModule {}
