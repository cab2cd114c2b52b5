import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** How deep a request's JSON may nest: far beyond any body of the api, far below a stack overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of arrays and objects in a JSON text, read without parsing it (brackets inside strings
 * do not count). Linear and without recursion, so a hostile body cannot exhaust the stack here either.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      deepest = Math.max(deepest, ++depth);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * The apps' body parsers, in place of Nest's (the app is created with `bodyParser: false`): JSON through
 * Fastify's own parser (prototype poisoning refused) behind a depth check, so a body nested deeper than
 * {@link MAX_JSON_DEPTH} is refused with 400 before it is parsed instead of overflowing the stack of the code
 * that walks it (a 500); and Nest's form parser (the queue dashboard's sign-in form).
 */
export function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      const error = new BadRequestException(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
      done(error, undefined);
      return;
    }
    void parse(request, text, done);
  });
  app.useBodyParser('application/x-www-form-urlencoded');
}
