import assert from 'node:assert/strict';
import Ajv2020Module from 'ajv/dist/2020.js';

/**
 * L1, V6 end to end: a real answer checked against the success body /openapi.json documents for
 * its route and status, with ajv's draft 2020-12 validator (the dialect of OpenAPI 3.1). Declared
 * outputs are plain zod objects, documented with `additionalProperties: false`, so an answer
 * carrying a field the schema does not name fails here as surely as one missing a field.
 *
 *   const check = successBodyChecker(await client.send('GET', '/openapi.json'));
 *   check('get', '/v1/posts/{id}', await client.send('GET', `/v1/posts/${id}`), 200);
 */

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

// CommonJS module: its default export is the module object or its `default`.
export const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as new (options: Record<string, unknown>) => {
  addSchema(schema: unknown): void;
  compile(schema: unknown): Validate;
  validateSchema(schema: unknown): boolean;
};

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
}

/** A JSON answer from either test client (text, or raw bytes for the attachment suites). */
export interface JsonAnswer {
  readonly status: number;
  readonly text?: string;
  readonly body?: unknown;
  json(): unknown;
}

export type SuccessBodyCheck = (method: string, path: string, res: JsonAnswer, status: number) => void;

const textOf = (res: JsonAnswer): string => res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString('utf8') : '');

/** Asserts `res` has `status` and a JSON body valid against what the document declares for it. */
export function successBodyChecker(openapi: JsonAnswer): SuccessBodyCheck {
  assert.equal(openapi.status, 200, textOf(openapi));
  const document = openapi.json() as OpenApiDocument;
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  // Compiled once per route and status: ajv refuses a second schema with the same $id.
  const compiled = new Map<string, Validate>();
  const documented = (method: string, path: string, status: number): Validate => {
    const key = `${method} ${path} ${status}`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    const schema = document.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema !== undefined, `${method.toUpperCase()} ${path} documents its ${status} body`);
    const validate = ajv.compile(schema);
    compiled.set(key, validate);
    return validate;
  };
  return (method, path, res, status) => {
    assert.equal(res.status, status, textOf(res));
    const validate = documented(method, path, status);
    assert.ok(validate(res.json()), `${method.toUpperCase()} ${path}: ${JSON.stringify(validate.errors)}`);
  };
}
