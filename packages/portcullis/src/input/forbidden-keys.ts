import { fieldOf, walkJson } from './json-path.js';

/**
 * V2: keys that must never reach a handler. `__proto__`, `constructor` and `prototype` are the
 * prototype-pollution vectors (a later `Object.assign` or deep merge turns them into a takeover);
 * `$`-prefixed and dotted keys are NoSQL operator and path injection (`{"password": {"$ne": ""}}`).
 * Refusing is safer than stripping: a stripped payload silently changes meaning.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const DOLLAR = 36;

export interface KeyRules {
  /** Allow keys containing `.` (some APIs use them as plain names). Default false. */
  readonly allowDottedKeys?: boolean;
}

/** True when `key` is a prototype key, starts with `$`, or (unless allowed) contains a dot. */
export function isForbiddenKey(key: string, allowDottedKeys = false): boolean {
  if (key.charCodeAt(0) === DOLLAR) return true;
  if (!allowDottedKeys && key.includes('.')) return true;
  return PROTOTYPE_KEYS.has(key);
}

/**
 * Query keys may carry bracket paths (`filter[$gt]`, `a[__proto__][x]`) that a qs-style parser
 * would expand later, so each bracket segment is checked as a key of its own.
 */
export function isForbiddenQueryKey(key: string, allowDottedKeys = false): boolean {
  if (isForbiddenKey(key, allowDottedKeys)) return true;
  if (!key.includes('[')) return false;
  for (const segment of key.split(/[[\]]+/)) {
    if (segment !== '' && isForbiddenKey(segment, allowDottedKeys)) return true;
  }
  return false;
}

/**
 * Walks a parsed value (iteratively: depth is bounded elsewhere, but a stack is cheaper than
 * recursion anyway) and returns true at the first forbidden key at any depth.
 */
export function containsForbiddenKey(value: unknown, allowDottedKeys = false): boolean {
  if (value === null || typeof value !== 'object') return false;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const current = pending.pop() as object;
    if (Array.isArray(current)) {
      for (const item of current) if (item !== null && typeof item === 'object') pending.push(item as object);
      continue;
    }
    for (const key of Object.keys(current)) {
      if (isForbiddenKey(key, allowDottedKeys)) return true;
      const child = (current as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') pending.push(child);
    }
  }
  return false;
}

/** Where a refused key is shown: the path of its parent, then this placeholder (never the key). */
export const FORBIDDEN_KEY_FIELD = '<forbidden key>';

/**
 * The fields (`body.profile.<forbidden key>`) of the first `limit` forbidden keys, in document
 * order; run only once `containsForbiddenKey` has found one, so accepted bodies never pay for it.
 */
export function forbiddenKeyFields(value: unknown, where: string, allowDottedKeys = false, limit = 20): string[] {
  const fields: string[] = [];
  walkJson(value, (key, _child, parentSteps) => {
    if (isForbiddenKey(key, allowDottedKeys)) {
      const field = fieldOf(where, parentSteps, FORBIDDEN_KEY_FIELD);
      if (!fields.includes(field)) fields.push(field);
    }
    return fields.length < limit;
  });
  return fields;
}
