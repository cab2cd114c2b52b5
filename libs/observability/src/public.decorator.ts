import { applyDecorators, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ecmo:public';

/**
 * Opens a route (or a controller) to callers without an access token. Only operational endpoints (health,
 * metrics) and the sign-in steps that check their own credential (password, TOTP code, refresh token, reset
 * token) carry it: every other route needs an access token or API key and declares its roles with @Roles().
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const IS_OPERATIONAL = 'ecmo:operational';

/**
 * A public operational endpoint (health, metrics): also exempt from rate limits, so probes and scrapes still
 * answer, and report, while Redis (the rate limits' store) is down.
 */
export const Operational = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(IS_OPERATIONAL, true));
