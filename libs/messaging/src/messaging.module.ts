import { Global, Injectable, Module } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { LogProvider } from './log-provider.js';
import type { MessageProvider } from './provider.js';

/** The provider configured for each channel (SMS_PROVIDER, EMAIL_PROVIDER). */
@Injectable()
export class MessageProviders {
  private readonly sms: MessageProvider;
  private readonly email: MessageProvider;

  constructor(config: AppConfig) {
    const log = new LogProvider(config.MESSAGE_LOG_FILE);
    this.sms = log;
    this.email = log;
  }

  forChannel(channel: 'sms' | 'email'): MessageProvider {
    return channel === 'sms' ? this.sms : this.email;
  }
}

@Global()
@Module({ providers: [MessageProviders], exports: [MessageProviders] })
export class MessagingModule {}
