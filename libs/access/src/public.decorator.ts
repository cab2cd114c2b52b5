import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ecmo:public';

/**
 * Opens a route (or a controller) to unauthenticated callers. Only operational endpoints (health, metrics)
 * carry it: every other route is denied unless a later authentication step admits the caller.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
