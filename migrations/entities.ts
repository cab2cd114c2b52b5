import { ACCESS_ENTITIES } from '../libs/access/src/index.js';
import { FOLLOW_UP_ENTITIES } from '../libs/followup/src/index.js';
import { AuditEvent } from '../libs/audit/src/index.js';
import { REGISTRY_ENTITIES, VALUE_SET_ENTITIES } from '../libs/registry/src/index.js';
import { WorkerHeartbeat } from '../libs/queue/src/index.js';

/** Every entity, for the TypeORM CLI's migration:generate (the apps load theirs through forFeature). */
export const ENTITIES = [
  AuditEvent,
  WorkerHeartbeat,
  ...ACCESS_ENTITIES,
  ...VALUE_SET_ENTITIES,
  ...REGISTRY_ENTITIES,
  ...FOLLOW_UP_ENTITIES,
];
