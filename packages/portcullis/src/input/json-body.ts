import { PortcullisError, type FieldError } from '../errors/index.js';
import { containsForbiddenKey, forbiddenKeyFields } from './forbidden-keys.js';
import { exceedsJsonDepth } from './json-depth.js';
import { assertSafeJsonText } from './text-safety.js';

export interface JsonBodyRules {
  /** Deepest allowed nesting of objects and arrays. Default 32. */
  readonly maxDepth?: number;
  readonly allowDottedKeys?: boolean;
}

export const DEFAULT_JSON_DEPTH = 32;

/**
 * Every forbidden key contains one of these in the raw text (a `\` covers keys spelled with
 * \u escapes), so a body without any of them cannot hold one and skips the walk: one native
 * scan instead of visiting every key.
 */
const MAY_HOLD_FORBIDDEN_KEY = /[$.\\]|__proto__|constructor|prototype/;

const FORBIDDEN_KEY_DETAIL =
  'Keys named __proto__, constructor or prototype, keys starting with "$" and keys containing "." are not accepted.';

/** The field error code of a forbidden key, in the `errors` list of the 400. */
export const FORBIDDEN_KEY_CODE = 'forbidden_key';
const FIELD_MESSAGE = 'Forbidden key: a prototype key, or one starting with "$" or containing "."';

function forbiddenKey(fields: readonly string[]): PortcullisError {
  const fieldErrors: FieldError[] = fields.map((field) => ({ field, code: FORBIDDEN_KEY_CODE, message: FIELD_MESSAGE }));
  return new PortcullisError('request.forbidden_key', { detail: FORBIDDEN_KEY_DETAIL, fieldErrors });
}

/**
 * Parses a JSON request body under our rules: depth checked before parsing (400
 * `request.json_too_deep`), syntax (400 `request.malformed_json`, without echoing the parser's
 * message, which quotes the input), then forbidden keys at any depth (400 `request.forbidden_key`),
 * then NUL characters and lone surrogates in any key or string (400 `request.invalid_text`). The
 * last two list each refused place in `fieldErrors` (`body.profile.<forbidden key>`, `body.title`;
 * code `forbidden_key` / `invalid_text`), never echoing the key itself.
 *
 * @example
 * const body = parseJsonBody('{"name":"a"}', { maxDepth: 16 });
 */
export function parseJsonBody(text: string, rules: JsonBodyRules = {}): unknown {
  const maxDepth = rules.maxDepth ?? DEFAULT_JSON_DEPTH;
  if (exceedsJsonDepth(text, maxDepth)) {
    throw new PortcullisError('request.json_too_deep', { detail: `Objects and arrays may be nested at most ${maxDepth} levels deep.` });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PortcullisError('request.malformed_json');
  }
  const allowDottedKeys = rules.allowDottedKeys ?? false;
  if (MAY_HOLD_FORBIDDEN_KEY.test(text) && containsForbiddenKey(value, allowDottedKeys)) {
    throw forbiddenKey(forbiddenKeyFields(value, 'body', allowDottedKeys));
  }
  assertSafeJsonText(text, value);
  return value;
}

/**
 * Throws `request.forbidden_key` (field `query`: the key itself is never echoed) when any query
 * key (or bracket segment of one) is forbidden.
 */
export function assertSafeQueryKeys(query: Readonly<Record<string, unknown>>, isForbidden: (key: string) => boolean): void {
  for (const key in query) {
    if (isForbidden(key)) throw forbiddenKey(['query']);
  }
}
