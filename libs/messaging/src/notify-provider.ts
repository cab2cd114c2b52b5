import axios, { isAxiosError } from 'axios';
import notify from 'notifications-node-client';
import {
  MessageNotSent,
  MessageRejected,
  NOT_CONNECTED,
  withoutRecipient,
  type LookupResult,
  type MessageProvider,
  type OutgoingMessage,
} from './provider.js';

export interface NotifySettings {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly smsTemplateId: string | undefined;
  readonly emailTemplateId: string | undefined;
  readonly timeoutMs: number;
}

/** Notify's final states of a message that did not reach the person (everything else is on its way or there). */
const FAILED = new Set(['permanent-failure', 'temporary-failure', 'technical-failure', 'validation-failed']);

/**
 * GOV.UK Notify through its official client. The registry renders the words, so each template is `((body))`
 * (and `((subject))` for e-mail). Our reference (the ledger row's id) travels with the message, so after a
 * crash the reconciler can ask Notify whether it took the message (`lookup`) instead of sending blindly.
 */
export class NotifyProvider implements MessageProvider {
  readonly name = 'notify';
  private readonly client: InstanceType<typeof notify.NotifyClient>;

  constructor(private readonly settings: NotifySettings) {
    this.client = new notify.NotifyClient(settings.baseUrl, settings.apiKey);
    // The client's own axios has no timeout: a stalled connection would hold a worker slot for ever.
    // (The client's typings name axios's CommonJS types, ours its ESM ones: the same instance either way.)
    this.client.setClient(axios.create({ timeout: settings.timeoutMs }) as never);
  }

  async send(message: OutgoingMessage): Promise<string> {
    try {
      const response =
        message.channel === 'sms'
          ? await this.client.sendSms(this.template('sms'), message.to, {
              personalisation: { body: message.body },
              reference: message.reference,
            })
          : await this.client.sendEmail(this.template('email'), message.to, {
              personalisation: { subject: message.subject, body: message.body },
              reference: message.reference,
            });
      return (response.data as { id: string }).id;
    } catch (error) {
      throw classify(error, message.to);
    }
  }

  readonly lookup = async (reference: string, channel: 'sms' | 'email'): Promise<LookupResult> => {
    const response = await this.client.getNotifications(channel, undefined, reference);
    const found = response.data.notifications.find((n) => n.reference === reference);
    if (!found) return { found: false };
    return { found: true, providerRef: found.id, delivered: FAILED.has(found.status) ? 'failed' : 'sent' };
  };

  private template(channel: 'sms' | 'email'): string {
    const id = channel === 'sms' ? this.settings.smsTemplateId : this.settings.emailTemplateId;
    if (!id) throw new MessageRejected(`no Notify ${channel} template is configured`);
    return id;
  }
}

/**
 * What a failed call means for the message: refused for good (400: an invalid number or address), certainly
 * not taken (Notify unreachable, 403 a bad key, 429 slow down), or unknown (5xx, a timeout or a connection
 * cut after the request went out: Notify may have taken it, and is asked later).
 */
function classify(error: unknown, to: string): Error {
  if (!isAxiosError(error)) return error instanceof Error ? error : new Error(String(error));
  const status = error.response?.status;
  const body = error.response?.data as { errors?: Array<{ error?: string; message?: string }> } | undefined;
  const said = (body?.errors ?? []).map((e) => `${e.error ?? 'Error'}: ${e.message ?? ''}`).join('; ');
  const detail = withoutRecipient(`Notify ${status ?? error.code ?? 'error'}${said ? ` ${said}` : ''}`, to);
  if (status === 400) return new MessageRejected(detail);
  if (status === 403 || status === 429) return new MessageNotSent(detail);
  if (status === undefined && NOT_CONNECTED.has(error.code ?? '')) return new MessageNotSent(detail);
  return new Error(detail);
}
