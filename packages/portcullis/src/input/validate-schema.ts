import { PortcullisError, type FieldError } from '../errors/index.js';

/**
 * Validation of parsed input against a zod schema (or anything with zod's `safeParse` shape),
 * turned into the one 400 problem every route uses: `request.validation_failed` with one entry per
 * invalid field. Only the schema's own wording and issue codes reach the client, never the
 * rejected value, so a validation error cannot echo an attacker's payload or a secret.
 * Structural typing keeps zod an optional peer: nothing here imports it.
 */

interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly code: string;
  readonly message: string;
}

/** The part of a zod schema this module uses. */
export interface ParseSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

/** At most this many field errors are listed: a hostile body cannot make the problem large. */
export const MAX_FIELD_ERRORS = 20;

/**
 * Issue codes whose zod messages are made from the schema alone (expected type, bounds, format,
 * allowed values). Any other code, `unrecognized_keys` above all (its message quotes the client's
 * key), gets a fixed message of ours.
 */
const SCHEMA_WORDED_CODES = new Set(['invalid_type', 'too_small', 'too_big', 'invalid_format', 'not_multiple_of', 'invalid_value', 'custom']);

function issueMessage(issue: SchemaIssue): string {
  if (SCHEMA_WORDED_CODES.has(issue.code)) return issue.message;
  return issue.code === 'unrecognized_keys' ? 'Unknown field: not allowed here' : 'Invalid value';
}

function fieldName(path: readonly PropertyKey[], where: string): string {
  if (path.length === 0) return where;
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

/**
 * Parses `value` with `schema` and returns the typed result, or throws `request.validation_failed`
 * listing each invalid field (`field` is the dotted path, `code` the schema's issue code).
 *
 * @example
 * const body = validateInput(registerBody, request.body, 'body');
 */
export function validateInput<T>(schema: ParseSchema<T>, value: unknown, where = 'body'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fieldErrors: FieldError[] = result.error.issues.slice(0, MAX_FIELD_ERRORS).map((issue) => ({
    field: fieldName(issue.path, where),
    code: issue.code,
    message: issueMessage(issue),
  }));
  throw new PortcullisError('request.validation_failed', { fieldErrors });
}
