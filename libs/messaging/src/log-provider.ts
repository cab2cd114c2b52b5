import { Logger } from '@nestjs/common';
import { appendFile } from 'node:fs/promises';
import type { MessageProvider, OutgoingMessage } from './provider.js';

/**
 * Development provider: nothing leaves the machine. Each message is written as one JSON line (our reference,
 * the channel and the rendered words, never the address or number) to MESSAGE_LOG_FILE, or to the process
 * log when no file is set. One short append per message, so several worker processes can share the file.
 */
export class LogProvider implements MessageProvider {
  readonly name = 'log';
  private readonly logger = new Logger('MessageLog');

  constructor(private readonly file: string | undefined) {}

  async send(message: OutgoingMessage): Promise<string> {
    const entry = {
      at: new Date().toISOString(),
      reference: message.reference,
      channel: message.channel,
      subject: message.channel === 'email' ? message.subject : undefined,
      body: message.body,
    };
    if (this.file) await appendFile(this.file, `${JSON.stringify(entry)}\n`);
    else this.logger.log(entry, 'message (log provider: not sent)');
    return `log-${message.reference}`;
  }
}
