import { ACCESS_ENTITIES } from '../libs/access/src/entities.js';
import { FOLLOW_UP_ENTITIES } from '../libs/followup/src/entities.js';
import { AuditEvent } from '../libs/audit/src/audit-event.entity.js';
import { REGISTRY_ENTITIES } from '../libs/registry/src/patients/entities.js';
import { VALUE_SET_ENTITIES } from '../libs/registry/src/value-sets/value-set.entities.js';
import { WorkerHeartbeat } from '../libs/queue/src/heartbeat/worker-heartbeat.entity.js';

/** Every entity, for the TypeORM CLI's migration:generate (the apps load theirs through forFeature). */
export const ENTITIES = [
  AuditEvent,
  WorkerHeartbeat,
  ...ACCESS_ENTITIES,
  ...VALUE_SET_ENTITIES,
  ...REGISTRY_ENTITIES,
  ...FOLLOW_UP_ENTITIES,
];
