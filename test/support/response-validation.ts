import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Issue 24: every answer an end-to-end suite receives from an api it started is checked against the committed
 * OpenAPI document (openapi.json): its status must be one the operation declares, and a JSON body must match
 * the declared schema, with no property the document does not name. A mismatch is recorded here and fails the
 * test that caused it (test/support/e2e-guards.ts), whatever that test asserts.
 */

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};

const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as Document;

/** An OpenAPI 3.0 schema as JSON Schema: `nullable` as a null type, references into `definitions`. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === '$ref') out.$ref = String(value).replace('#/components/schemas/', '#/definitions/');
    else if (key !== 'nullable' && key !== 'example') out[key] = toJsonSchema(value);
  }
  if (source.nullable === true) {
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    if (out.allOf || out.anyOf || out.oneOf) {
      const { type: _type, ...rest } = out;
      return { anyOf: [rest, { type: 'null' }] };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addFormat('binary', true);
const definitions = toJsonSchema(document.components.schemas) as Record<string, object>;
const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: object): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...(toJsonSchema(schema) as object), definitions });
    validators.set(key, validate);
  }
  return validate;
}

let mismatches: string[] = [];

/** The answers that did not match the document so far in this process. */
export function responseMismatches(): readonly string[] {
  return mismatches;
}

/** Routes outside the document: the docs themselves, metrics, the queue dashboard. */
const UNDOCUMENTED = [/^\/api\/docs/, /^\/metrics/, /^\/admin\/queues(?!\/session$)/];

/** Checks every answer of `app` against the document (an onSend hook: the body as it is sent). */
export function validateResponses(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request, reply, payload, done) => {
      const route = request.routeOptions.url;
      if (!route || UNDOCUMENTED.some((r) => r.test(route))) return done(null, payload);
      const path = route.replace(/:(\w+)/g, '{$1}');
      const operation = document.paths[path]?.[request.method.toLowerCase()];
      const name = `${request.method} ${path} ${reply.statusCode}`;
      if (!operation) {
        mismatches = [...mismatches, `${name}: not in the document`];
        return done(null, payload);
      }
      const declared = operation.responses[String(reply.statusCode)];
      if (!declared) {
        mismatches = [...mismatches, `${name}: status not declared`];
        return done(null, payload);
      }
      const type = String(reply.getHeader('content-type') ?? '').split(';')[0];
      const schema = declared.content?.[type]?.schema ?? null;
      const binary = (schema as { format?: string } | null)?.format === 'binary';
      if (schema && !binary && typeof payload === 'string' && type.endsWith('json')) {
        const validate = validatorFor(`${name} ${type}`, schema);
        if (!validate(JSON.parse(payload))) {
          const errors = (validate.errors ?? [])
            .slice(0, 5)
            .map(
              (e) =>
                `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
            );
          mismatches = [...mismatches, `${name}: ${errors.join('; ')}`];
        }
      } else if (!schema && declared.content && Object.keys(declared.content).length > 0 && payload !== '') {
        if (!declared.content[type])
          mismatches = [...mismatches, `${name}: content type ${type} not declared`];
      }
      done(null, payload);
    });
}
