import { ApiHeader } from '@nestjs/swagger';
import {
  BadRequestException,
  ConflictException,
  createParamDecorator,
  HttpException,
  HttpStatus,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Optimistic concurrency for corrections (issue 4): every record carries a version, sent as its `ETag`; a
 * correction names the version it was based on in `If-Match` and is applied by a conditional
 * `UPDATE … WHERE version = …`, so a nurse never overwrites a change she has not seen.
 */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Answers with the record and its version as the ETag (what a correction's If-Match names). */
export function tagged<T extends { version: number }>(reply: FastifyReply, record: T): T {
  void reply.header('ETag', etagOf(record.version));
  return record;
}

/** `"3"` or `W/"3"` → 3; 428 when absent (a correction must say what it corrects), 400 when malformed. */
export function parseIfMatch(header: string | undefined): number {
  if (header === undefined || header === '') {
    throw new HttpException(
      'Corrections need If-Match with the record’s ETag (its version), so a stale update cannot overwrite a newer one',
      HttpStatus.PRECONDITION_REQUIRED,
    );
  }
  const match = /^(?:W\/)?"([1-9][0-9]{0,8})"$/.exec(header.trim());
  if (!match) throw new BadRequestException('If-Match must be the ETag of the record, e.g. "3"');
  return Number(match[1]);
}

/** A change based on a version of the record that is no longer its current one (409). */
export class StaleEdit extends ConflictException {}

function stale(what: string): StaleEdit {
  return new StaleEdit(
    `${what} changed since you read it (its ETag no longer matches If-Match): read it again and re-apply your correction`,
  );
}

/** 409 when the record's current version is not the one the correction was based on. */
export function assertStaleFree(what: string, current: number, expected: number): void {
  if (current !== expected) throw stale(what);
}

/** 409 when a conditional `UPDATE … WHERE version = …` matched no row. */
export function assertUpdated(what: string, affected: number | null | undefined): void {
  if (affected !== 1) throw stale(what);
}

/** Declares the route's If-Match header in the OpenAPI document (a method decorator run for the parameter). */
const documentIfMatch: ParameterDecorator = (target, key) => {
  if (key === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor) return;
  ApiHeader({
    name: 'If-Match',
    required: true,
    description: 'The ETag of the record as read (its version, e.g. "3"): a stale one is refused with 409.',
    schema: { type: 'string', pattern: '^(W/)?"[1-9][0-9]{0,8}"$', example: '"3"' },
  })(target, key, descriptor);
};

/** The If-Match version of the request (see {@link parseIfMatch}). */
export const IfMatch = createParamDecorator(
  (_: unknown, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const raw: unknown = request.headers['if-match'];
    const header: unknown = Array.isArray(raw) ? raw[0] : raw;
    return parseIfMatch(typeof header === 'string' ? header : undefined);
  },
  [documentIfMatch],
);
