import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { Clock } from '../../../time/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import {
  MessageNotSent,
  MessageProviders,
  MessageRejected,
  type MessageProvider,
  type OutgoingMessage,
} from '../../../messaging/src/index.js';
import { JobHandler, JobName } from '../../../queue/src/index.js';
import {
  lockPatientRow,
  PatientIdentities,
  reminderContact,
  siteOfPatient,
} from '../../../registry/src/index.js';
import type { Appointment } from '../appointments/appointment.entity.js';
import { renderReminder } from '../rules/reminders.js';
import type { DeliveryOutcome, Reminder } from './reminder.entity.js';
import {
  claimDelivery,
  claimedReminder,
  closeReminder,
  findDelivery,
  lockReminder,
  reclaimDelivery,
  recordDeliveryOutcome,
  recordResend,
  remindedAppointment,
  reminderHead,
  visitStateOf,
} from './reminders.queries.js';
import { errorMessage } from '../../../observability/src/index.js';
import { siteFollowUpPhone } from '../../../access/src/index.js';

/** Who the audit trail says sent, expired or settled a reminder. */
const REMINDER_ACTOR = 'system:reminders';

/**
 * Waits before the second and third tries when the provider certainly did not take the message (unreachable,
 * rate-limited); after them the reminder is marked failed, for the nurses' worklist.
 */
const NOT_SENT_RETRY_MS = [1000, 4000];

/** A job that fires a moment early (clocks of two machines differ slightly) still counts as due. */
const EARLY_TOLERANCE_MS = 2000;

/** Thrown when a reminder's job runs before its moment: BullMQ retries it later. */
class ReminderNotYetDue extends Error {
  constructor(reminderId: string, dueAt: Date) {
    super(`reminder ${reminderId} is due at ${dueAt.toISOString()}`);
    this.name = 'ReminderNotYetDue';
  }
}

/** What a reminder job did. */
export type SendOutcome = 'stale' | 'expired' | 'sent' | 'failed' | 'interrupted';

type Claim =
  | { kind: 'stale' | 'expired' | 'failed' }
  | { kind: 'claimed'; deliveryId: string; provider: MessageProvider; message: OutgoingMessage };

/** Why a reminder claimed earlier must not go out after all, and what its status becomes. */
type Unfit = { status: 'expired' | 'cancelled' | 'failed'; reason: string };

/**
 * Sends one reminder, effectively once (issue 5's reliability core). The job carries the reminder's id and
 * version only; the sender re-reads the row and acts only while it is still pending at that version and
 * its appointment is still ahead. It then claims the delivery ledger (unique per reminder) and marks the
 * reminder `sending` in one transaction, before calling the provider; the provider's reference and the
 * outcome are recorded after. A crash between the two leaves the claim, which the reconciler settles by asking
 * the provider, never by sending again blindly.
 */
@Injectable()
export class ReminderSender {
  private readonly logger = new Logger(ReminderSender.name);

  constructor(
    private readonly transactions: TransactionService,
    private readonly identities: PatientIdentities,
    private readonly audit: AuditService,
    private readonly providers: MessageProviders,
    private readonly clock: Clock,
  ) {}

  @JobHandler(JobName.SendReminder)
  handle(payload: { reminderId: string; version: number }): Promise<SendOutcome> {
    return this.send(payload.reminderId, payload.version);
  }

  async send(reminderId: string, version: number): Promise<SendOutcome> {
    const claim = await this.claim(reminderId, version);
    if (claim.kind !== 'claimed') return claim.kind;
    return this.deliver(reminderId, claim.deliveryId, claim.provider, claim.message);
  }

  /** Hands the claimed message to the provider and records what it answered. */
  async deliver(
    reminderId: string,
    deliveryId: string,
    provider: MessageProvider,
    message: OutgoingMessage,
  ): Promise<SendOutcome> {
    let providerRef: string;
    for (let attempt = 0; ; attempt++) {
      try {
        providerRef = await provider.send(message);
        break;
      } catch (error) {
        if (error instanceof MessageNotSent && attempt < NOT_SENT_RETRY_MS.length) {
          await new Promise((resolve) => setTimeout(resolve, NOT_SENT_RETRY_MS[attempt]));
          continue;
        }
        if (error instanceof MessageRejected || error instanceof MessageNotSent) {
          const detail = error instanceof MessageNotSent ? `not sent: ${error.message}` : error.message;
          await this.settle(reminderId, deliveryId, 'failed', null, detail);
          return 'failed';
        }
        // The provider may have taken it: the claim stays, and the reconciler asks the provider later.
        this.logger.warn(
          { reminderId, deliveryId, reason: errorMessage(error) },
          'reminder handed to the provider without an answer: left for the reconciler',
        );
        return 'interrupted';
      }
    }
    await this.settle(reminderId, deliveryId, 'sent', providerRef, null);
    return 'sent';
  }

  private claim(reminderId: string, version: number): Promise<Claim> {
    return this.transactions.run({ actor: REMINDER_ACTOR, reason: 'reminder due' }, async (em) => {
      const reminder = await this.lock(
        em,
        reminderId,
        (head) => head.status === 'pending' && head.version === version,
      );
      if (!reminder || reminder.status !== 'pending' || reminder.version !== version)
        return { kind: 'stale' };
      const now = this.clock.now();
      if (reminder.dueAt.getTime() > now.getTime() + EARLY_TOLERANCE_MS) {
        throw new ReminderNotYetDue(reminderId, reminder.dueAt);
      }
      const appointment = await remindedAppointment(em, reminder.appointmentId);
      if (appointment.status !== 'booked' || appointment.startsAt.getTime() <= now.getTime()) {
        // Late (a worker or Redis was down until after the appointment began): a reminder then is noise.
        await closeReminder(em, reminder, 'expired', 'appointment_started');
        return { kind: 'expired' };
      }
      const to = await this.address(em, reminder);
      if (!to) {
        await closeReminder(em, reminder, 'failed', reminder.channel === 'sms' ? 'no_phone' : 'no_email');
        return { kind: 'failed' };
      }
      const provider = this.providers.forChannel(reminder.channel);
      await closeReminder(em, reminder, 'sending', null);
      const deliveryId = await claimDelivery(em, {
        reminderId,
        reminderVersion: reminder.version + 1,
        channel: reminder.channel,
        provider: provider.name,
        claimedAt: now,
      });
      return {
        kind: 'claimed',
        deliveryId,
        provider,
        message: await this.message(em, reminder, appointment, to, deliveryId),
      };
    });
  }

  /**
   * Sends again under the same claim a reminder the provider has said it never took (the reconciler asked it by
   * reference after a crash), if the reminder is still wanted: the patient's course, the appointment or the
   * chosen channel may have changed since the claim.
   */
  async resume(
    reminderId: string,
    deliveryId: string,
    provider: MessageProvider,
    claimedBefore: Date,
  ): Promise<SendOutcome> {
    const claim = await this.transactions.run(
      { actor: REMINDER_ACTOR, reason: `reminder resent: ${provider.name} never took it` },
      async (em): Promise<Claim> => {
        const reminder = await this.lock(em, reminderId, (head) => head.status === 'sending');
        const delivery = await findDelivery(em, deliveryId);
        // Another reconciler (another worker) may have taken it over since: only one resends.
        if (
          reminder?.status !== 'sending' ||
          !delivery ||
          delivery.outcome !== null ||
          delivery.claimedAt.getTime() >= claimedBefore.getTime()
        )
          return { kind: 'stale' };
        await reclaimDelivery(em, deliveryId, this.clock.now());
        const appointment = await remindedAppointment(em, reminder.appointmentId);
        const unfit = await this.unfit(em, reminder, appointment);
        const to = unfit ? null : await this.address(em, reminder);
        if (unfit || !to) {
          const { status, reason } = unfit ?? {
            status: 'failed' as const,
            reason: reminder.channel === 'sms' ? 'no_phone' : 'no_email',
          };
          await this.settleIn(
            em,
            reminder,
            deliveryId,
            'failed',
            null,
            `never taken by ${provider.name}; ${reason}`,
            status,
            reason,
          );
          return { kind: status === 'expired' ? 'expired' : status === 'failed' ? 'failed' : 'stale' };
        }
        return {
          kind: 'claimed',
          deliveryId,
          provider,
          message: await this.message(em, reminder, appointment, to, deliveryId),
        };
      },
    );
    if (claim.kind !== 'claimed') return claim.kind;
    return this.deliver(reminderId, claim.deliveryId, claim.provider, claim.message);
  }

  /**
   * Sends an e-mail whose delivery is unknown once more, under the same reference (so the same Message-ID),
   * if it is still wanted and its appointment still ahead. The resend is recorded in the ledger before the
   * provider is called (at most once, even across a crash), and its outcome after; the reminder stays
   * `unknown`, on the worklist, its reason saying that it was resent and what came of it.
   */
  async resendOnce(reminderId: string, deliveryId: string, provider: MessageProvider): Promise<boolean> {
    const message = await this.transactions.run(
      { actor: REMINDER_ACTOR, reason: 'unknown e-mail sent once more with the same Message-ID' },
      async (em): Promise<OutgoingMessage | null> => {
        const reminder = await this.lock(em, reminderId, (head) => head.status === 'unknown');
        const delivery = await findDelivery(em, deliveryId);
        if (reminder?.status !== 'unknown' || !delivery || delivery.resentAt) return null;
        const appointment = await remindedAppointment(em, reminder.appointmentId);
        if (await this.unfit(em, reminder, appointment)) return null;
        const to = await this.address(em, reminder);
        if (!to) return null;
        await recordResend(em, deliveryId, { resentAt: this.clock.now() });
        return this.message(em, reminder, appointment, to, deliveryId);
      },
    );
    if (!message) return false;
    let outcome: DeliveryOutcome = 'sent';
    let detail: string | null = null;
    try {
      detail = `provider reference ${await provider.send(message)}`;
    } catch (error) {
      outcome = error instanceof MessageRejected || error instanceof MessageNotSent ? 'failed' : 'unknown';
      detail = errorMessage(error);
    }
    await this.transactions.run(
      { actor: REMINDER_ACTOR, reason: `reminder resent: ${outcome}` },
      async (em) => {
        await recordResend(em, deliveryId, { resendOutcome: outcome, resendDetail: detail });
        const reminder = await claimedReminder(em, reminderId);
        if (reminder.status === 'unknown') {
          await closeReminder(
            em,
            reminder,
            'unknown',
            `delivery unknown (${provider.name} cannot be asked); sent once more with the same Message-ID: ${outcome}`,
          );
        }
      },
    );
    return true;
  }

  /**
   * The reminder locked for sending, if a first look finds it worth it. The patient row is share-locked first,
   * after the patient's changes (which hold it FOR UPDATE): a move, cancellation or death committed before
   * this point has already moved or cancelled the reminder. The caller re-checks the locked row.
   */
  private async lock(
    em: EntityManager,
    reminderId: string,
    worthIt: (head: Reminder) => boolean,
  ): Promise<Reminder | null> {
    const head = await reminderHead(em, reminderId);
    if (!head || !worthIt(head)) return null;
    await lockPatientRow(em, head.patientId, 'share');
    return lockReminder(em, reminderId);
  }

  /** What stops a reminder claimed earlier from going out now. */
  private async unfit(
    em: EntityManager,
    reminder: Reminder,
    appointment: Appointment,
  ): Promise<Unfit | null> {
    if (appointment.status !== 'booked') return { status: 'cancelled', reason: 'appointment_not_booked' };
    if (appointment.startsAt.getTime() <= this.clock.now().getTime())
      return { status: 'expired', reason: 'appointment_started' };
    const visit = await visitStateOf(em, appointment.visitId);
    if (visit?.status === 'not_required')
      return { status: 'cancelled', reason: visit.status_reason ?? 'not_required' };
    const contact = await reminderContact(em, reminder.patientId);
    if (contact.contactWithdrawnAt) return { status: 'cancelled', reason: 'withdrawn_contact' };
    if (contact.reminderChannel !== reminder.channel)
      return { status: 'cancelled', reason: 'channel_changed' };
    return null;
  }

  /** Reads the patient's number or address for this reminder, audited as an identifier read; null if none. */
  private async address(em: EntityManager, reminder: Reminder): Promise<string | null> {
    const { identity } = await this.identities.read(em, reminder.patientId);
    const to = reminder.channel === 'sms' ? identity.phone : identity.email;
    if (!to) return null;
    await this.audit.record(
      em,
      { actor: REMINDER_ACTOR },
      {
        action: 'identifier.read',
        entityType: 'patient_identity',
        entityId: reminder.patientId,
        details: { fields: [reminder.channel === 'sms' ? 'phone' : 'email'], purpose: 'reminder' },
      },
    );
    return to;
  }

  /** The words, rendered now from the appointment and the patient's site as they stand. */
  private async message(
    em: EntityManager,
    reminder: Reminder,
    appointment: Appointment,
    to: string,
    deliveryId: string,
  ): Promise<OutgoingMessage> {
    const siteId = await siteOfPatient(em, reminder.patientId);
    const phone = siteId ? await siteFollowUpPhone(em, siteId) : null;
    const words = renderReminder({
      localDate: appointment.localDate,
      localTime: appointment.localTime,
      mode: appointment.mode,
      place: appointment.place,
      phone,
    });
    return { channel: reminder.channel, to, ...words, reference: deliveryId };
  }

  /** Records the outcome in the ledger and on the reminder (still `sending`: nothing else moves it). */
  async settle(
    reminderId: string,
    deliveryId: string,
    outcome: DeliveryOutcome,
    providerRef: string | null,
    detail: string | null,
  ): Promise<void> {
    await this.transactions.run({ actor: REMINDER_ACTOR, reason: `reminder ${outcome}` }, async (em) => {
      const reminder = await claimedReminder(em, reminderId);
      await this.settleIn(em, reminder, deliveryId, outcome, providerRef, detail, outcome, detail);
    });
  }

  private async settleIn(
    em: EntityManager,
    reminder: Reminder,
    deliveryId: string,
    outcome: DeliveryOutcome,
    providerRef: string | null,
    detail: string | null,
    status: Reminder['status'],
    reason: string | null,
  ): Promise<void> {
    await recordDeliveryOutcome(em, deliveryId, {
      providerRef,
      outcome,
      outcomeAt: this.clock.now(),
      detail,
    });
    await closeReminder(em, reminder, status, reason);
  }
}
