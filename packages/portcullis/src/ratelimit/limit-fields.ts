/**
 * The IETF `RateLimit-Policy` and `RateLimit` response fields, in the syntax of
 * draft-ietf-httpapi-ratelimit-headers-10: Structured Field Lists whose items are the policy name
 * as an sf-string with integer parameters, e.g. `"api";q=100;w=60` and `"api";r=42;t=17`.
 * Policy names are restricted so they never need escaping; the policy field is a constant,
 * built once.
 */
import { PortcullisError } from '../errors/index.js';
import type { RateLimitDecision } from './types.js';

const POLICY_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function assertPolicyName(name: string): string {
  if (!POLICY_NAME.test(name)) {
    throw new PortcullisError('config.invalid', {
      detail: 'rate limit: a policy name is 1-64 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit',
    });
  }
  return name;
}

/** `"name";q=<limit>;w=<window seconds>`: one item of `RateLimit-Policy`. */
export function formatPolicyItem(name: string, limit: number, windowMs: number): string {
  return `"${assertPolicyName(name)}";q=${limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`;
}

/** `"name";r=<remaining>;t=<seconds until the quota is whole>`: one item of `RateLimit`. */
export function formatLimitItem(name: string, decision: RateLimitDecision): string {
  return `"${name}";r=${decision.remaining};t=${Math.ceil(decision.resetAfterMs / 1000)}`;
}

/** Whole seconds for `Retry-After`: at least 1, never early. */
export function retryAfterSeconds(retryAfterMs: number): string {
  return String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
}
