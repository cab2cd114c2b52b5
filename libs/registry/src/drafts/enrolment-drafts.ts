import { randomUUID } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { type AuditContext, TransactionService } from '../../../database/src/index.js';
import { IdentityKeyring } from '../identity/identity-keyring.js';
import {
  endDraft,
  expireDrafts,
  insertDraft,
  lockDraft,
  openDrafts,
  saveDraft,
  type DraftRow,
} from './enrolment-drafts.queries.js';

const DAY_MS = 86_400_000;

/** A draft found past its time: ended by `live`, outside the transaction that found it. */
class DraftExpired extends Error {
  constructor(readonly id: string) {
    super(`draft ${id} expired`);
  }
}

/** What a draft holds: each section's answers as typed (strings), and which sections were checked. */
export interface EnrolmentDraft {
  readonly id: string;
  readonly siteId: string;
  readonly answers: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly sections: readonly string[];
  readonly expiresAt: Date;
  readonly updatedAt: Date;
}

/**
 * Half-done enrolments (issue 26), kept across sign-ins for DRAFT_TTL days. A draft is its owner's only (no
 * other user reads it); its answers, the patient's identity among them, are sealed as identities are (a data
 * key of its own, wrapped by the identity master key, bound to the draft's id), and destroyed when the draft
 * is submitted, discarded or expires. Every change is audited (the ciphertext redacted).
 */
@Injectable()
export class EnrolmentDrafts {
  private readonly keyring: IdentityKeyring;

  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionService,
  ) {
    if (!config.IDENTITY_MASTER_KEYS || !config.IDENTITY_LOOKUP_KEY) {
      throw new Error('IDENTITY_MASTER_KEYS and IDENTITY_LOOKUP_KEY must be set');
    }
    this.keyring = new IdentityKeyring(config.IDENTITY_MASTER_KEYS, config.IDENTITY_LOOKUP_KEY);
  }

  async start(userId: string, siteId: string, context: AuditContext): Promise<string> {
    const id = randomUUID();
    const dataKey = this.keyring.newDataKey();
    const wrapped = this.keyring.wrap(dataKey, `draft:${id}`);
    await this.transactions.run(context, (em) =>
      insertDraft(em, {
        id,
        userId,
        siteId,
        keyId: wrapped.keyId,
        wrappedKey: wrapped.wrapped,
        sealed: this.keyring.seal(dataKey, `draft:${id}`, 'answers', '{}'),
        expiresAt: new Date(Date.now() + this.config.DRAFT_TTL * DAY_MS),
      }),
    );
    return id;
  }

  /** The user's open drafts (expired ones are ended first). */
  async list(userId: string, context: AuditContext): Promise<EnrolmentDraft[]> {
    await this.expire(context);
    return this.transactions.run(context, async (em) =>
      (await openDrafts(em, userId)).map((row) => this.open(row)),
    );
  }

  /** The user's open draft, or 404 (another user's, ended, expired or unknown: the same answer). */
  async get(userId: string, id: string, context: AuditContext): Promise<EnrolmentDraft> {
    return this.live(context, async (em) => this.open(await this.openRow(em, userId, id)));
  }

  /** Saves a section's answers; `checked` marks the section as done (its answers were checked). */
  async saveSection(
    userId: string,
    id: string,
    section: string,
    answers: Record<string, string>,
    checked: boolean,
    context: AuditContext,
  ): Promise<EnrolmentDraft> {
    return this.live(context, async (em) => {
      const row = await this.openRow(em, userId, id);
      const draft = this.open(row);
      const next = { ...draft.answers, [section]: answers };
      const sections = checked
        ? [...new Set([...draft.sections, section])]
        : draft.sections.filter((s) => s !== section);
      const dataKey = this.keyring.unwrap({ keyId: row.key_id!, wrapped: row.wrapped_key! }, `draft:${id}`);
      await saveDraft(em, id, {
        sealed: this.keyring.seal(dataKey, `draft:${id}`, 'answers', JSON.stringify(next)),
        sections,
      });
      return { ...draft, answers: next, sections };
    });
  }

  async discard(userId: string, id: string, context: AuditContext): Promise<void> {
    await this.live(context, async (em) => {
      await this.openRow(em, userId, id);
      await endDraft(em, id, 'discarded');
    });
  }

  /** Ends the draft as the patient it became (in the enrolment's own transaction, when it has one). */
  async submitted(userId: string, id: string, patientId: string, context: AuditContext): Promise<void> {
    await this.live(context, async (em) => {
      await this.openRow(em, userId, id);
      await endDraft(em, id, 'submitted', patientId);
    });
  }

  /** Ends every draft past DRAFT_TTL (on the start page: no other page pays for the sweep). */
  private async expire(context: AuditContext): Promise<void> {
    await this.transactions.run(context, (em) => expireDrafts(em));
  }

  /**
   * Work on one open draft. A draft found past DRAFT_TTL is ended (key and answers destroyed) in a
   * transaction of its own, which stands, and answers 404 like any draft that is gone.
   */
  private async live<T>(context: AuditContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.transactions.run(context, work);
    } catch (error) {
      if (!(error instanceof DraftExpired)) throw error;
      await this.transactions.run(context, (em) => endDraft(em, error.id, 'expired'));
      throw new NotFoundException('Draft not found');
    }
  }

  private async openRow(em: EntityManager, userId: string, id: string): Promise<DraftRow> {
    const row = await lockDraft(em, id, userId);
    if (!row || row.ended_at !== null) throw new NotFoundException('Draft not found');
    if (row.expires_at.getTime() <= Date.now()) throw new DraftExpired(id);
    return row;
  }

  private open(row: DraftRow): EnrolmentDraft {
    const owner = `draft:${row.id}`;
    const dataKey = this.keyring.unwrap({ keyId: row.key_id!, wrapped: row.wrapped_key! }, owner);
    return {
      id: row.id,
      siteId: row.site_id,
      answers: JSON.parse(
        this.keyring.open(dataKey, owner, 'answers', row.sealed!),
      ) as EnrolmentDraft['answers'],
      sections: row.sections,
      expiresAt: row.expires_at,
      updatedAt: row.updated_at,
    };
  }
}
