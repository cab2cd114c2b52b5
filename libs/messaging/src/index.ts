export { LogProvider } from './log-provider.js';
export { MessageProviders, MessagingModule } from './messaging.module.js';
export {
  MessageRejected,
  type LookupResult,
  type MessageProvider,
  type OutgoingMessage,
} from './provider.js';
