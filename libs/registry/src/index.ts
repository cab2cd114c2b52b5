export { RegistryModule } from './registry.module.js';
export { VALUE_SET_ENTITIES, ValueSetCode, ValueSetVersion } from './value-sets/value-set.entities.js';
export { ValueSets, type CodeView, type ValueSetView } from './value-sets/value-sets.js';
