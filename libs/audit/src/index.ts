export { AuditEvent } from './audit-event.entity.js';
export { AuditModule } from './audit.module.js';
export { AuditService, type AuditEntry } from './audit.service.js';
export { auditTrailOf, type AuditTrailRow } from './audit-trail.js';
