/**
 * V2: text no API field needs and that breaks what lies behind it. A NUL character ends a C string
 * early (truncation attacks on anything native downstream) and PostgreSQL refuses it in `text`
 * columns, so it would surface as a 500 from the database; a lone UTF-16 surrogate (a `\ud800`
 * escape JSON allows, RFC 8259 section 8.2) is not Unicode, and is silently turned into U+FFFD on
 * its way to storage, so what is stored differs from what was checked. Both are refused at the
 * door, in JSON keys and values and in the URL, the same on every database.
 */
import { PortcullisError, type FieldError } from '../errors/index.js';
import { fieldOf, walkJson } from './json-path.js';

/** A NUL or a lone surrogate, counted in UTF-16 code units (no `u` flag on purpose). */
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Escapes that can produce either in parsed JSON. A raw NUL is already invalid JSON, and the body
 * text is decoded from UTF-8, which cannot hold a lone surrogate, so text without these escapes
 * skips the walk. An escaped backslash before `u` only makes the walk run for nothing.
 */
const MAY_ESCAPE_UNSAFE_TEXT = /\\u(?:0000|[dD][89a-fA-F])/;

const DETAIL = 'Text may not contain NUL characters or unpaired UTF-16 surrogates.';

/** True when `text` holds a NUL or an unpaired surrogate. */
export function isUnsafeText(text: string): boolean {
  return UNSAFE_TEXT.test(text);
}

/** True when any string or key of a parsed JSON value is unsafe text (iterative: no recursion). */
export function containsUnsafeText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === 'string') {
      if (isUnsafeText(current)) return true;
    } else if (Array.isArray(current)) {
      for (const item of current) pending.push(item);
    } else if (current !== null && typeof current === 'object') {
      for (const key of Object.keys(current)) {
        if (isUnsafeText(key)) return true;
        pending.push((current as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/** The field error code and message of unsafe text, in the `errors` list of the 400. */
export const INVALID_TEXT_CODE = 'invalid_text';
const FIELD_MESSAGE = 'Contains a NUL character or an unpaired UTF-16 surrogate';
/** Where an unsafe key is shown: the path of its parent, then this placeholder (never the key). */
export const INVALID_KEY_FIELD = '<invalid key>';

/**
 * The fields holding unsafe text (`body.title`, `body.tags[1]`, or `body.profile.<invalid key>`
 * for a key), at most `limit`, in document order; run only once a refusal is certain.
 */
export function unsafeTextFields(value: unknown, where: string, limit = 20): string[] {
  const fields: string[] = [];
  const add = (field: string): boolean => {
    if (!fields.includes(field)) fields.push(field);
    return fields.length < limit;
  };
  walkJson(
    value,
    (key, _child, parentSteps) => !isUnsafeText(key) || add(fieldOf(where, parentSteps, INVALID_KEY_FIELD)),
    (text, steps) => !isUnsafeText(text) || add(fieldOf(where, steps)),
  );
  return fields;
}

function invalidText(fields: readonly string[]): PortcullisError {
  const fieldErrors: FieldError[] = fields.map((field) => ({ field, code: INVALID_TEXT_CODE, message: FIELD_MESSAGE }));
  return new PortcullisError('request.invalid_text', { detail: DETAIL, fieldErrors });
}

/**
 * Throws 400 `request.invalid_text`, listing each field that holds unsafe text, when parsed JSON
 * holds any; `text` is the JSON it was parsed from, and gates the walk.
 */
export function assertSafeJsonText(text: string, value: unknown, where = 'body'): void {
  if (MAY_ESCAPE_UNSAFE_TEXT.test(text) && containsUnsafeText(value)) throw invalidText(unsafeTextFields(value, where));
}

/** Throws 400 `request.invalid_text` (field `url`) for a URL carrying a percent-encoded NUL (`%00`) anywhere. */
export function assertSafeUrlText(url: string): void {
  if (url.includes('%00')) throw invalidText(['url']);
}
