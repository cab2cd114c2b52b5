export { MessageProviders, MessagingModule } from './messaging.module.js';
export {
  MessageNotSent,
  MessageRejected,
  type LookupResult,
  type MessageProvider,
  type OutgoingMessage,
} from './provider.js';
