import { createTransport, type Transporter } from 'nodemailer';
import {
  MessageNotSent,
  MessageRejected,
  NOT_CONNECTED,
  withoutRecipient,
  type MessageProvider,
  type OutgoingMessage,
} from './provider.js';

export interface SmtpSettings {
  readonly url: string;
  readonly from: string;
  readonly timeoutMs: number;
}

const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

interface SmtpError extends Error {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  timeoutType?: string;
}

/**
 * E-mail through any SMTP server (nodemailer). SMTP cannot be asked afterwards what became of a message: a
 * send cut off once the message may have gone out leaves it `unknown` for the nurses to check. Its Message-ID
 * is made from our reference, so the registry may send it once more (`foldsDuplicates`): a patient whose first
 * copy did arrive sees one message, as mail clients fold duplicates by Message-ID. Our reference also rides
 * in a header, to find the message in the server's logs.
 */
export class SmtpProvider implements MessageProvider {
  readonly name = 'smtp';
  readonly foldsDuplicates = true;
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly settings: SmtpSettings) {
    this.transport = createTransport({
      url: settings.url,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
    });
    this.domain = /@([^>\s]+)/.exec(settings.from)?.[1] ?? 'registry.invalid';
  }

  /** The same reference, the same Message-ID (RFC 5322: unique, and ours). */
  messageId(reference: string): string {
    return `<${reference}@${this.domain}>`;
  }

  async send(message: OutgoingMessage): Promise<string> {
    if (message.channel !== 'email') throw new MessageRejected('SMTP sends e-mail only');
    try {
      const info = await this.transport.sendMail({
        from: this.settings.from,
        to: message.to,
        subject: message.subject,
        text: message.body,
        messageId: this.messageId(message.reference),
        headers: { 'X-Registry-Reference': message.reference },
      });
      return String(info.messageId);
    } catch (error) {
      throw classify(error as SmtpError, message.to);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * A reply code is the server's word: 5xx refused for good, 4xx not taken this time. Without one, only a failure
 * to connect at all (or a timeout while setting up) is certainly "not sent"; anything else may have
 * happened after the message went out, so it stays unknown.
 */
function classify(error: SmtpError, to: string): Error {
  const detail = withoutRecipient(`SMTP ${error.code ?? 'error'}: ${error.message}`, to);
  if (error.responseCode !== undefined && error.responseCode >= 500) return new MessageRejected(detail);
  if (error.responseCode !== undefined && error.responseCode >= 400) return new MessageNotSent(detail);
  // Refused before any command went out (an address the client itself finds invalid).
  if (error.code === 'EENVELOPE') return new MessageRejected(detail);
  if (NOT_CONNECTED.has(error.originalCode ?? '') || NOT_CONNECTED.has(error.code ?? ''))
    return new MessageNotSent(detail);
  if (error.code === 'EAUTH' || error.code === 'EDNS') return new MessageNotSent(detail);
  if (error.code === 'ETIMEDOUT' && SETUP_TIMEOUTS.has(error.timeoutType ?? ''))
    return new MessageNotSent(detail);
  return new Error(detail);
}
