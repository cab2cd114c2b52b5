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
}
