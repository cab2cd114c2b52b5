import { Global, Injectable, Logger, Module, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/src/index.js';
import { LogProvider } from './log-provider.js';
import { NotifyProvider } from './notify-provider.js';
import type { MessageProvider } from './provider.js';
import { SmtpProvider } from './smtp-provider.js';

/** The provider configured for each channel (SMS_PROVIDER, EMAIL_PROVIDER). */
@Injectable()
export class MessageProviders implements OnModuleDestroy {
  private readonly logger = new Logger(MessageProviders.name);
  private readonly sms: MessageProvider;
  private readonly email: MessageProvider;
  private readonly smtp: SmtpProvider | undefined;

  constructor(config: AppConfig) {
    const log = new LogProvider(config.MESSAGE_LOG_FILE);
    const notify =
      config.SMS_PROVIDER === 'notify' || config.EMAIL_PROVIDER === 'notify'
        ? new NotifyProvider({
            apiKey: config.NOTIFY_API_KEY!,
            baseUrl: config.NOTIFY_BASE_URL,
            smsTemplateId: config.NOTIFY_SMS_TEMPLATE_ID,
            emailTemplateId: config.NOTIFY_EMAIL_TEMPLATE_ID,
            timeoutMs: config.MESSAGE_PROVIDER_TIMEOUT_MS,
          })
        : undefined;
    this.smtp =
      config.EMAIL_PROVIDER === 'smtp'
        ? new SmtpProvider({
            url: config.SMTP_URL!,
            from: config.SMTP_FROM!,
            timeoutMs: config.MESSAGE_PROVIDER_TIMEOUT_MS,
          })
        : undefined;
    this.sms = config.SMS_PROVIDER === 'notify' ? notify! : log;
    this.email = config.EMAIL_PROVIDER === 'notify' ? notify! : (this.smtp ?? log);
    if (config.NODE_ENV === 'production') {
      for (const [channel, provider] of [
        ['SMS', this.sms],
        ['e-mail', this.email],
      ] as const) {
        if (provider === log) {
          this.logger.warn(`${channel} reminders go to the log provider: no patient receives them`);
        }
      }
    }
  }

  forChannel(channel: 'sms' | 'email'): MessageProvider {
    return channel === 'sms' ? this.sms : this.email;
  }

  onModuleDestroy(): void {
    this.smtp?.close();
  }
}

@Global()
@Module({ providers: [MessageProviders], exports: [MessageProviders] })
export class MessagingModule {}
