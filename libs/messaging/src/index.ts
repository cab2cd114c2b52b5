export { LogProvider } from './log-provider.js';
export { MessageProviders, MessagingModule } from './messaging.module.js';
export { NotifyProvider } from './notify-provider.js';
export {
  MessageNotSent,
  MessageRejected,
  withoutRecipient,
  type LookupResult,
  type MessageProvider,
  type OutgoingMessage,
} from './provider.js';
export { SmtpProvider } from './smtp-provider.js';
