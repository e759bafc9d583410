/**
 * E2: secrets never reach a log line. Two nets: values under sensitive key names are replaced
 * at any depth (headers, bodies, error properties), and strings anywhere (messages, stacks, URLs)
 * are scrubbed of secret-shaped substrings (bearer credentials, JWTs, API keys, URL passwords,
 * secret query parameters). Over-redaction is the accepted failure mode.
 */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|session|private[-_]?key|otp|pepper|signature|jwt|bearer|hash|csrf/i;

const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b([spr]k_(?:live|test)_)[A-Za-z0-9_-]+/g, `$1${REDACTED}`],
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@/?#\s]+@/gi, `$1${REDACTED}@`],
  [
    /(\b(?:password|passwd|pwd|token|access_token|refresh_token|id_token|secret|client_secret|api_key|apikey|key|code|signature|sig)=)[^&#\s"']*/gi,
    `$1${REDACTED}`,
  ],
  [/("?(?:password|secret|token|authorization|cookie|api[-_]?key)"?\s*[:=]\s*)"[^"]*"/gi, `$1"${REDACTED}"`],
];

/** True when a property of this name holds a secret. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * Text every SECRET_PATTERNS match must contain (a scheme word, a JWT's `eyJ`, a key prefix, a URL
 * authority, an `=`, or a `:` before a quote). Most text (ids, addresses, routes, messages) holds
 * none, and one test is far cheaper than six replaces: events and log lines are scrubbed on hot paths.
 */
const MAY_HOLD_SECRET = /bearer|basic|digest|eyJ|k_(?:live|test)_|:\/\/|=|:\s*"/i;

/** Removes secret-shaped substrings from free text. */
export function scrubText(text: string): string {
  return MAY_HOLD_SECRET.test(text) ? replaceSecretPatterns(text) : text;
}

/** Every pattern, without the pre-check (scrubText's slow path; tests compare the two). */
export function replaceSecretPatterns(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 10;
const MAX_KEYS = 200;

/**
 * A redacted copy of `value` fit for logging. Errors become plain objects (type, code, message,
 * stack, cause) with scrubbed text; cycles, deep nesting and huge objects are cut off.
 *
 * @example
 * logger.info(redactDeep({ headers: req.headers }));
 */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? '[function]' : value;
  if (depth >= MAX_DEPTH) return '[depth limit]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return '[binary]';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((item) => redactDeep(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const key of Object.keys(value)) {
    if (++count > MAX_KEYS) {
      out['[truncated]'] = true;
      break;
    }
    const child = (value as Record<string, unknown>)[key];
    out[key] = isSensitiveKey(key) ? REDACTED : redactDeep(child, depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: scrubText(error.message) };
  if (error.stack !== undefined) out['stack'] = scrubText(error.stack);
  for (const key of Object.keys(error)) {
    if (key === 'message' || key === 'stack') continue;
    const child = (error as unknown as Record<string, unknown>)[key];
    out[key] = isSensitiveKey(key) ? REDACTED : redactDeep(child, depth + 1, seen);
  }
  if (error.cause !== undefined) out['cause'] = redactDeep(error.cause, depth + 1, seen);
  return out;
}
