import type { EntityManager } from 'typeorm';

/** Enrolment drafts (table `enrolment_draft`): every statement that reads or writes them. */

export interface DraftRow {
  readonly id: string;
  readonly user_id: string;
  readonly site_id: string;
  readonly key_id: string | null;
  readonly wrapped_key: string | null;
  readonly sealed: string | null;
  readonly sections: string[];
  readonly version: number;
  readonly updated_at: Date;
  readonly expires_at: Date;
  readonly ended_at: Date | null;
  readonly ended_reason: string | null;
  readonly patient_id: string | null;
}

export async function insertDraft(
  em: EntityManager,
  row: {
    id: string;
    userId: string;
    siteId: string;
    keyId: string;
    wrappedKey: string;
    sealed: string;
    expiresAt: Date;
  },
): Promise<void> {
  await em.query(
    `INSERT INTO enrolment_draft (id, user_id, site_id, key_id, wrapped_key, sealed, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [row.id, row.userId, row.siteId, row.keyId, row.wrappedKey, row.sealed, row.expiresAt],
  );
}

/** The user's draft of this id (any state), locked for the rest of the transaction. */
export async function lockDraft(
  em: EntityManager,
  id: string,
  userId: string,
): Promise<DraftRow | undefined> {
  const rows: DraftRow[] = await em.query(
    `SELECT * FROM enrolment_draft WHERE id = $1 AND user_id = $2 FOR UPDATE`,
    [id, userId],
  );
  return rows[0];
}

/** The user's open drafts, newest first. */
export function openDrafts(em: EntityManager, userId: string): Promise<DraftRow[]> {
  return em.query(
    `SELECT * FROM enrolment_draft WHERE user_id = $1 AND ended_at IS NULL ORDER BY created_at DESC`,
    [userId],
  );
}

export async function saveDraft(
  em: EntityManager,
  id: string,
  values: { sealed: string; sections: string[] },
): Promise<void> {
  await em.query(
    `UPDATE enrolment_draft SET sealed = $2, sections = $3, version = version + 1, updated_at = now()
      WHERE id = $1 AND ended_at IS NULL`,
    [id, values.sealed, values.sections],
  );
}

/** Ends a draft: its key and answers are destroyed, the row stays (with the patient it became, if any). */
export async function endDraft(
  em: EntityManager,
  id: string,
  reason: 'submitted' | 'discarded' | 'expired',
  patientId: string | null = null,
): Promise<void> {
  await em.query(
    `UPDATE enrolment_draft
        SET ended_at = now(), ended_reason = $2, patient_id = $3, key_id = NULL, wrapped_key = NULL, sealed = NULL
      WHERE id = $1 AND ended_at IS NULL`,
    [id, reason, patientId],
  );
}

/** Expires every open draft past its time (the owner's next look, or the next read of any draft). */
export async function expireDrafts(em: EntityManager): Promise<number> {
  const [, count]: [unknown[], number] = await em.query(
    `UPDATE enrolment_draft
        SET ended_at = now(), ended_reason = 'expired', key_id = NULL, wrapped_key = NULL, sealed = NULL
      WHERE ended_at IS NULL AND expires_at <= now()`,
  );
  return count;
}
