import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Patient reminders (issue 5, third slice), with the transactional outbox that carries them to BullMQ.
 *
 * - `outbox`: jobs to enqueue, written in the same transaction as the rows they are about; the worker's relay
 *   claims them (FOR UPDATE SKIP LOCKED), adds them to BullMQ and marks them relayed. Transport, not registry
 *   data: not audited, and relayed rows are pruned (the only DELETE the app role has here).
 * - `reminder`: one message to send, derived from a booked appointment (days before it, channel, the instant
 *   it is due). Planned, moved and cancelled inside the patient's change transaction; `version` goes up with
 *   every change, and a queued job acts only on the version it was queued for.
 * - `reminder_delivery`: the ledger. Claimed (inserted, unique per reminder) before the provider is called,
 *   completed with the provider's reference after; a second claim of one reminder is impossible.
 */
export class Reminders1795540000000 implements MigrationInterface {
  name = 'Reminders1795540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_name    text        NOT NULL,
        job_id      text        NOT NULL CHECK (job_id ~ '^[A-Za-z0-9_.-]{1,200}$'),
        payload     jsonb       NOT NULL,
        run_at      timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        relayed_at  timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unrelayed_idx ON outbox (id) WHERE relayed_at IS NULL`);
    await q.query(`CREATE INDEX outbox_relayed_at_idx ON outbox (relayed_at) WHERE relayed_at IS NOT NULL`);
    await q.query(`GRANT DELETE ON outbox TO registry_app`);

    await q.query(`
      CREATE TABLE reminder (
        id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id     uuid        NOT NULL REFERENCES patient (id),
        appointment_id uuid        NOT NULL REFERENCES appointment (id),
        days_before    integer     NOT NULL CHECK (days_before BETWEEN 0 AND 60),
        channel        text        NOT NULL CHECK (channel IN ('sms', 'email')),
        due_at         timestamptz NOT NULL,
        status         text        NOT NULL
                       CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'expired')),
        status_reason  text,
        version        integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    // One pending reminder per appointment and kind: a move updates it, it never adds a second.
    await q.query(
      `CREATE UNIQUE INDEX reminder_one_live_per_kind ON reminder (appointment_id, days_before)
        WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX reminder_patient_idx ON reminder (patient_id)`);
    await q.query(`CREATE INDEX reminder_due_idx ON reminder (due_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX reminder_sending_idx ON reminder (updated_at) WHERE status = 'sending'`);
    await q.query(
      `CREATE TRIGGER reminder_audit AFTER INSERT OR UPDATE OR DELETE ON reminder
       FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );

    await q.query(`
      CREATE TABLE reminder_delivery (
        id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        reminder_id      uuid        NOT NULL UNIQUE REFERENCES reminder (id),
        reminder_version integer     NOT NULL,
        channel          text        NOT NULL CHECK (channel IN ('sms', 'email')),
        provider         text        NOT NULL,
        claimed_at       timestamptz NOT NULL DEFAULT now(),
        provider_ref     text,
        outcome          text        CHECK (outcome IN ('sent', 'failed', 'unknown')),
        outcome_at       timestamptz,
        detail           text,
        CHECK ((outcome IS NULL) = (outcome_at IS NULL))
      )`);
    await q.query(
      `CREATE TRIGGER reminder_delivery_audit AFTER INSERT OR UPDATE OR DELETE ON reminder_delivery
       FOR EACH ROW EXECUTE FUNCTION audit_row_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reminder_delivery`);
    await q.query(`DROP TABLE reminder`);
    await q.query(`DROP TABLE outbox`);
  }
}
