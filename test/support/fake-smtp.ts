import { once } from 'node:events';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One e-mail the server took. */
export interface ReceivedMail {
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  reference: string | undefined;
}

/**
 * What the server does with the next message to a recipient:
 * - `accept`: takes it (250), the default;
 * - `busy`: answers the recipient with 451 (try again later): nothing taken;
 * - `refuse-recipient`: refuses the recipient with 550 (no such mailbox);
 * - `take-and-hang`: takes the message, then never answers the end of the data (a server or network dying
 *   just after the message went out).
 */
export type SmtpBehaviour = 'accept' | 'busy' | 'refuse-recipient' | 'take-and-hang';

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/** A real SMTP server (`smtp-server`) on loopback for tests: keeps what arrived, parsed (`mailparser`). */
export class FakeSmtp {
  readonly received: ReceivedMail[] = [];
  private readonly behaviours = new Map<string, SmtpBehaviour[]>();
  /** The behaviour each open session drew at RCPT TO. */
  private readonly sessions = new Map<string, SmtpBehaviour>();
  private server: SMTPServer | undefined;
  private takenHook: ((mail: ReceivedMail) => void) | undefined;
  port = 0;

  /** Runs when a message is taken by `take-and-hang`, once it is kept (a worker killed at that moment, say). */
  whenTaken(hook: (mail: ReceivedMail) => void): this {
    this.takenHook = hook;
    return this;
  }

  /** The next messages to this address get these behaviours, in order; then `accept` again. */
  next(to: string, ...behaviours: SmtpBehaviour[]): this {
    this.behaviours.set(to, [...(this.behaviours.get(to) ?? []), ...behaviours]);
    return this;
  }

  env(): Record<string, string> {
    return {
      EMAIL_PROVIDER: 'smtp',
      SMTP_URL: `smtp://127.0.0.1:${this.port}`,
      SMTP_FROM: 'ECMO follow-up <followup@registry.example.org>',
    };
  }

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, session, callback) => {
        const behaviour = this.behaviours.get(address.address)?.shift() ?? 'accept';
        this.sessions.set(session.id, behaviour);
        if (behaviour === 'busy') return callback(smtpError(451, '4.3.0 Mailbox busy, try again later'));
        if (behaviour === 'refuse-recipient') {
          return callback(smtpError(550, `5.1.1 <${address.address}>: no such mailbox`));
        }
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            const reference = mail.headers.get('x-registry-reference');
            const received: ReceivedMail = {
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              from: mail.from?.text ?? '',
              to: Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(', ') : (mail.to?.text ?? ''),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              messageId: mail.messageId ?? '',
              reference: typeof reference === 'string' ? reference : undefined,
            };
            this.received.push(received);
            if (this.sessions.get(session.id) !== 'take-and-hang') return callback();
            const hook = this.takenHook;
            this.takenHook = undefined;
            hook?.(received);
          })
          .catch((error: Error) => callback(error));
      },
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server.server, 'listening');
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
