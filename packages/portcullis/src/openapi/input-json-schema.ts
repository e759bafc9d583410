/**
 * L1: a route's input schemas as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), by
 * zod 4's own converter (`schema.toJSONSchema()`, the method form of `z.toJSONSchema`), or the
 * Standard JSON Schema interface other validators offer. Nothing here imports zod, so it stays an
 * optional peer. The input side is described (what a client sends, before transforms and
 * defaults), and types JSON cannot express become "any value" rather than a failure.
 */

export type JsonSchema = Record<string, unknown>;

interface ZodLike {
  toJSONSchema(params: Record<string, unknown>): JsonSchema;
}

interface StandardJsonSchemaLike {
  readonly '~standard': { readonly jsonSchema: { input(options: { target: string }): JsonSchema; output(options: { target: string }): JsonSchema } };
}

function isZodLike(schema: unknown): schema is ZodLike {
  return typeof (schema as Partial<ZodLike> | null)?.toJSONSchema === 'function';
}

function isStandardJsonSchema(schema: unknown): schema is StandardJsonSchemaLike {
  const standard = (schema as { '~standard'?: { jsonSchema?: { input?: unknown; output?: unknown } } } | null)?.['~standard'];
  return typeof standard?.jsonSchema?.input === 'function' && typeof standard.jsonSchema.output === 'function';
}

function hasLocalReference(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasLocalReference);
  if (value === null || typeof value !== 'object') return false;
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string' && item.startsWith('#')) return true;
    if (hasLocalReference(item)) return true;
  }
  return false;
}

/**
 * The JSON Schema of `schema`'s input, or `undefined` when it cannot be described. `resourceId`
 * becomes the schema's `$id` when it refers to itself (`#`, `#/$defs/...`), so those references
 * resolve inside it rather than against the OpenAPI document they are embedded in.
 *
 * @example
 * inputJsonSchema(z.strictObject({ title: z.string() }), 'urn:example:body'); // { type: 'object', ... }
 */
export function inputJsonSchema(schema: unknown, resourceId: string): JsonSchema | undefined {
  return schemaJson(schema, resourceId, 'input');
}

/** The same for a schema a route sends (its declared success body): what the schema outputs. */
export function outputJsonSchema(schema: unknown, resourceId: string): JsonSchema | undefined {
  return schemaJson(schema, resourceId, 'output');
}

function schemaJson(schema: unknown, resourceId: string, io: 'input' | 'output'): JsonSchema | undefined {
  let converted: JsonSchema;
  try {
    if (isZodLike(schema)) converted = schema.toJSONSchema({ target: 'draft-2020-12', io, unrepresentable: 'any' });
    else if (isStandardJsonSchema(schema)) converted = schema['~standard'].jsonSchema[io]({ target: 'draft-2020-12' });
    else return undefined;
  } catch {
    // A schema the converter refuses (e.g. a cycle it cannot name) is documented as undescribed.
    return undefined;
  }
  const { $schema: _dialect, ...body } = converted;
  return hasLocalReference(body) ? { $id: resourceId, ...body } : body;
}
