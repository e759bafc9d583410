/**
 * V1/V2: what a route's schema itself declares, so each rule is stated once, in the schema: which
 * top-level fields an object takes (headers to pick, unknown fields to strip), which of them are
 * lists (the only query parameters allowed to repeat), and whether it refuses unknown fields.
 * Structural, like validate-schema.ts: it reads zod 4's `_zod.def` (`type`, `shape`, `innerType`,
 * pipe `in`) without importing zod. A schema it cannot read declares nothing, so every caller
 * fails closed: no parameter may repeat, and strictness is proven by parsing, never assumed.
 */
import type { ParseSchema } from './validate-schema.js';

interface SchemaDef {
  readonly type?: unknown;
  readonly shape?: unknown;
  readonly innerType?: unknown;
  readonly in?: unknown;
}

/** Wrappers that leave the shape of the value they wrap unchanged. */
const WRAPPERS: ReadonlySet<unknown> = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);
/** Deeper wrapping than this is treated as unreadable (no real schema nests wrappers this far). */
const MAX_UNWRAP = 16;

function defOf(schema: unknown): SchemaDef | undefined {
  if (schema === null || (typeof schema !== 'object' && typeof schema !== 'function')) return undefined;
  const def: unknown = (schema as { _zod?: { def?: unknown } })._zod?.def;
  return def !== null && typeof def === 'object' ? (def as SchemaDef) : undefined;
}

/** The definition under optional/default/... wrappers and on the input side of a pipe. */
function innermost(schema: unknown): SchemaDef | undefined {
  let def = defOf(schema);
  for (let depth = 0; def !== undefined && depth < MAX_UNWRAP; depth++) {
    if (WRAPPERS.has(def.type)) def = defOf(def.innerType);
    else if (def.type === 'pipe') def = defOf(def.in);
    else return def;
  }
  return undefined;
}

function shapeOf(schema: unknown): Readonly<Record<string, unknown>> | undefined {
  const def = innermost(schema);
  if (def?.type !== 'object' || def.shape === null || typeof def.shape !== 'object') return undefined;
  return def.shape as Readonly<Record<string, unknown>>;
}

/**
 * The top-level field names of an object schema, or undefined when `schema` is not a readable
 * object schema.
 *
 * @example
 * declaredFields(z.strictObject({ limit: z.number() }).optional()); // ['limit']
 */
export function declaredFields(schema: unknown): readonly string[] | undefined {
  const shape = shapeOf(schema);
  return shape === undefined ? undefined : Object.keys(shape);
}

/**
 * The top-level fields of an object schema declared as arrays (through optional, default, ...):
 * in a query, the parameters that may be given more than once. Empty for anything unreadable.
 *
 * @example
 * listFields(z.strictObject({ tag: z.array(z.string()).optional(), limit: z.number() })); // Set { 'tag' }
 */
export function listFields(schema: unknown): ReadonlySet<string> {
  const shape = shapeOf(schema);
  if (shape === undefined) return new Set();
  return new Set(Object.keys(shape).filter((field) => innermost(shape[field])?.type === 'array'));
}

interface ProbeIssue {
  readonly code?: unknown;
  readonly path?: readonly unknown[];
  readonly errors?: unknown;
}

/** A field name no schema declares; `__proto__`-like names would be refused before any schema runs. */
const PROBE_FIELD = 'portcullis_unknown_field_probe_7f3a';

function reportsUnknownField(issues: readonly ProbeIssue[]): boolean {
  return issues.some((issue) => {
    if (issue.code === 'unrecognized_keys') return (issue.path ?? []).length === 0;
    // A union refuses the field only when every branch does.
    if (issue.code === 'invalid_union' && Array.isArray(issue.errors) && issue.errors.length > 0) {
      return (issue.errors as unknown[]).every((branch) => Array.isArray(branch) && reportsUnknownField(branch as ProbeIssue[]));
    }
    return false;
  });
}

/**
 * True when `schema` refuses an object carrying a field it does not declare, shown by parsing one
 * (`unrecognized_keys` at the top level, in every branch of a union). A schema that strips or
 * passes unknown fields, or that fails for another reason only, is not shown to refuse them.
 *
 * @example
 * refusesUnknownFields(z.strictObject({ a: z.string() })); // true
 * refusesUnknownFields(z.object({ a: z.string() }));       // false: unknown fields are dropped silently
 */
export function refusesUnknownFields(schema: ParseSchema<unknown>): boolean {
  let result: ReturnType<ParseSchema<unknown>['safeParse']>;
  try {
    result = schema.safeParse({ [PROBE_FIELD]: 0 });
  } catch {
    return false;
  }
  return !result.success && reportsUnknownField(result.error.issues as readonly ProbeIssue[]);
}
