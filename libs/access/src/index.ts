export { AccessModule } from './access.module.js';
export { DefaultDenyGuard } from './default-deny.guard.js';
export { IS_PUBLIC, Public } from './public.decorator.js';
