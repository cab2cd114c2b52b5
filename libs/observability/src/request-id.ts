import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The request id ties a response, its log lines and its audit rows together. A well-formed id from the
 * caller (a proxy, the web app) is kept; anything else is replaced, so the header cannot inject text into
 * logs. Fastify and pino-http both call this; the first call stores the id on the raw request for the other.
 */
export function requestIdFor(req: IncomingMessage): string {
  const carrier = req as IncomingMessage & { id?: unknown };
  if (typeof carrier.id === 'string') return carrier.id;
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
  carrier.id = id;
  return id;
}
