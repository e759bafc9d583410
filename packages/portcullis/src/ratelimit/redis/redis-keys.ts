/**
 * Key names. Every key of one user key shares one Redis Cluster hash tag, `{...}`, so a script
 * that touches several of them runs on one node. The user key is the tag's content, escaped so it
 * cannot end the tag early or start another: `%`, `{` and `}` become `%25`, `%7B` and `%7D`, and
 * the empty key (whose tag `{}` Redis would ignore) becomes `%`, which no other key encodes to.
 * Escaping keeps distinct user keys distinct and the stored keys readable. The suffixes carry the
 * storage format's version (`:s2` state string, `:l2` sliding-log sorted set, `:c2` the plain
 * counter of a fixed window on the server clock; version 1 kept the state in a hash), so
 * processes of two versions sharing a Redis during a rolling upgrade keep separate counts instead
 * of failing on each other's keys with WRONGTYPE.
 */
import { PortcullisError } from '../../errors/index.js';

const NEEDS_ESCAPE = /[%{}]/;
const ESCAPED = /[%{}]/g;

function escapeChar(char: string): string {
  return char === '%' ? '%25' : char === '{' ? '%7B' : '%7D';
}

/** The content of the hash tag for a user key: never empty, never containing a brace. */
export function hashTagOf(key: string): string {
  if (key === '') return '%';
  return NEEDS_ESCAPE.test(key) ? key.replace(ESCAPED, escapeChar) : key;
}

/** Checks a key prefix: a brace in it would move or break the hash tag. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.includes('{') || prefix.includes('}')) {
    throw new PortcullisError('config.invalid', { detail: 'rate limit: the Redis key prefix must be a string without { or }' });
  }
  return prefix;
}

/** The state key of `key` (`suffix` `:s2`, or `:c2` for a fixed-window counter): the only key of every algorithm but sliding-log. */
export function stateKey(prefix: string, key: string, suffix: string): string {
  if (typeof key !== 'string') throw new PortcullisError('config.invalid', { detail: 'rate limit: key must be a string' });
  return `${prefix}{${hashTagOf(key)}}${suffix}`;
}

/** The keys a limiter script touches for `key`: the state, then the sliding-log sorted set if used. */
export function limiterKeys(prefix: string, key: string, keyCount: 1 | 2, suffix: string): string[] {
  const state = stateKey(prefix, key, suffix);
  return keyCount === 1 ? [state] : [state, `${state.slice(0, -suffix.length)}:l2`];
}
