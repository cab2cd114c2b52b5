/** A message on its way to one person: the address travels only here, in memory, never to a log or a job. */
export interface OutgoingMessage {
  readonly channel: 'sms' | 'email';
  /** Telephone number (SMS) or e-mail address. */
  readonly to: string;
  /** E-mail only. */
  readonly subject: string;
  readonly body: string;
  /** Our reference (the delivery ledger row's id): the provider keeps it, and can be asked about it later. */
  readonly reference: string;
}

export type LookupResult =
  | { readonly found: true; readonly providerRef: string; readonly delivered: 'sent' | 'failed' }
  | { readonly found: false };

/** A provider that sends messages (GOV.UK Notify, SMTP, or the development log). */
export interface MessageProvider {
  /** Stored in the delivery ledger. */
  readonly name: string;
  /** Answers the provider's reference once the provider has accepted the message. */
  send(message: OutgoingMessage): Promise<string>;
  /**
   * Asks the provider what became of the message with our reference, after a crash left it unknown; absent
   * when the provider cannot be asked (SMTP, the log): then the registry never resends (at most once).
   */
  readonly lookup?: (reference: string, channel: 'sms' | 'email') => Promise<LookupResult>;
  /**
   * A message sent again with the same reference is a duplicate the recipient never sees twice (e-mail with
   * the same Message-ID, which mail clients fold): a provider that cannot be asked may then resend once.
   */
  readonly foldsDuplicates?: boolean;
}

/**
 * The provider certainly did not take the message, for a reason that may pass (it could not be reached, it
 * asked us to slow down, a mailbox was busy): the sender may try again under the same claim.
 */
export class MessageNotSent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageNotSent';
  }
}

/** System error codes of a connection that never reached the provider: nothing can have been taken. */
export const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Replaces the address or number wherever a provider's answer repeats it: it must not reach a log or the ledger. */
export function withoutRecipient(text: string, to: string): string {
  return to.length === 0 ? text : text.split(to).join('[recipient]');
}

/**
 * The provider refused the message for good (an invalid number, a rejected address): it was not sent and
 * sending it again would fail again. Any other error leaves it unknown whether the provider accepted it.
 */
export class MessageRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageRejected';
  }
}
