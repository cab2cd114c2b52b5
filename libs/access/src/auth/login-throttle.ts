import { SetMetadata, type ExecutionContext } from '@nestjs/common';

const LOGIN_THROTTLE = 'ecmo:login-throttle';

/**
 * Marks a sign-in step (password, code, reset token) for the sign-in limits, on top of the api-wide one:
 * attempts per client address, and per account (the e-mail in the body) whatever the address, so neither
 * one address trying many accounts nor many addresses trying one account gets far. Lockout after repeated
 * failures (AuthService) is the last line.
 */
export const LoginThrottle = (): MethodDecorator => SetMetadata(LOGIN_THROTTLE, true);

export function isLoginThrottled(context: ExecutionContext): boolean {
  return Reflect.getMetadata(LOGIN_THROTTLE, context.getHandler()) === true;
}

/** The account a sign-in attempt names, or null when the body names none. */
export function attemptedAccount(body: unknown): string | null {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  return typeof email === 'string' && email.length > 0 ? email.trim().toLowerCase() : null;
}
