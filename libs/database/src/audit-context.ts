import type { RequestWrites } from './request-writes.js';

/**
 * Who is making a change and why: the audit trigger on every clinical table reads these through
 * transaction-local settings (registry.actor, registry.reason, registry.request_id, registry.client_address),
 * so a row can never be written without saying who wrote it.
 */
export interface AuditContext {
  /** A user id (`user:<uuid>`), a service account or a process (`system:worker`). */
  readonly actor: string;
  readonly reason?: string;
  readonly requestId?: string;
  readonly clientAddress?: string;
  /**
   * The request's count of committed transactions (`requestWrites`), set by `auditContextOf`: each commit
   * made with this context adds one, so that the request's error answer can tell that something was saved.
   */
  readonly writes?: RequestWrites;
}
