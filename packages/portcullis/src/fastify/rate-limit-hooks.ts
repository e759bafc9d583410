/**
 * The rate-limit checkpoint in Fastify: turns a request into a key and a cost, asks the policy,
 * writes the IETF `RateLimit-Policy` / `RateLimit` fields on every limited response, and refuses
 * with 429 (problem+json, Retry-After) when the quota is spent. Each refusal is logged as the
 * security event `ratelimit.exceeded`; the key itself is not logged (login keys hold account names).
 * Limits are attached per route at registration, so a route without them pays nothing.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { RepeatGate } from '../audit/index.js';
import { PortcullisError } from '../errors/index.js';
import { addressKey, compoundKey, formatLimitItem, retryAfterSeconds, type PolicyDecision, type RateLimitPolicy } from '../ratelimit/index.js';
import { afterEvent, emitRequestEvent } from './security-events.js';

/** What a request is counted under. */
export type RateLimitKey =
  /** The client address (IPv6 by /64), shared by every route the policy is on: a route group. */
  | 'address'
  /** The client address, counted separately on each route. */
  | 'address-per-route'
  /** Any key; `undefined` skips this limit for the request (e.g. no authenticated principal yet). */
  | ((request: FastifyRequest) => string | undefined);

export interface RouteRateLimit {
  readonly policy: RateLimitPolicy;
  /** Default `'address'`. */
  readonly key?: RateLimitKey;
  /** Units a request spends; default 1. */
  readonly cost?: number | ((request: FastifyRequest) => number);
  /** Give the units back when the response is a success (< 400): count failed logins only. */
  readonly skipSuccessful?: boolean;
  /**
   * `onRequest` (default) decides before the body is read; `preHandler` after authentication and
   * validation, for limits keyed by principal.
   */
  readonly phase?: 'onRequest' | 'preHandler';
}

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;

interface PendingRefund {
  readonly policy: RateLimitPolicy;
  readonly key: string;
  readonly cost: number;
}

const refunds = new WeakMap<FastifyRequest, PendingRefund[]>();
// Written only on a refusal, so admitted requests pay nothing for it.
const refusingPolicies = new WeakMap<FastifyRequest, string>();

/** The name of the policy that refused the request with 429, if one did (for metrics). */
export function rateLimitRefusalOf(request: FastifyRequest): string | undefined {
  return refusingPolicies.get(request);
}

function appendField(reply: FastifyReply, name: string, item: string): void {
  const current = reply.getHeader(name);
  reply.header(name, current === undefined ? item : `${String(current)}, ${item}`);
}

function keyFunction(key: RateLimitKey | undefined): (request: FastifyRequest) => string | undefined {
  if (key === undefined || key === 'address') {
    // Consecutive requests mostly come from the same client (keep-alive): remember the last one.
    let lastAddress = '';
    let lastKey = '';
    return (request) => {
      const address = request.clientAddress;
      if (address !== lastAddress) {
        lastKey = addressKey(address);
        lastAddress = address;
      }
      return lastKey;
    };
  }
  if (key === 'address-per-route') return (request) => compoundKey(request.routeOptions.url ?? '*', addressKey(request.clientAddress));
  return key;
}

export interface RateLimitHookPlacement {
  /**
   * Set on the first limit of a route: the whole `RateLimit-Policy` value for every limit on the
   * route, computed once, so later limits only append their `RateLimit` item.
   */
  readonly policyField?: string;
  /**
   * For a limit chosen per request (e.g. an API key's own limit), added after the route's: it
   * appends its own item to `RateLimit-Policy` as well as to `RateLimit`.
   */
  readonly appendPolicy?: boolean;
}

/** A route hook enforcing one limit. */
export function createRateLimitHook(limit: RouteRateLimit, placement: RateLimitHookPlacement = {}): Hook {
  const policy = limit.policy;
  const keyOf = keyFunction(limit.key);
  const fixedCost = typeof limit.cost === 'number' ? limit.cost : 1;
  const costOf = typeof limit.cost === 'function' ? limit.cost : undefined;
  const skipSuccessful = limit.skipSuccessful === true;
  const policyField = placement.policyField;
  const appendPolicy = placement.appendPolicy === true;
  const trailedRefusals = new RepeatGate();

  function conclude(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction, decision: PolicyDecision, key: string, cost: number): void {
    if (policyField !== undefined) {
      reply.header('ratelimit-policy', policyField);
      if (decision.source !== 'open') reply.header('ratelimit', formatLimitItem(policy.name, decision));
    } else {
      if (appendPolicy) appendField(reply, 'ratelimit-policy', policy.policyItem);
      if (decision.source !== 'open') appendField(reply, 'ratelimit', formatLimitItem(policy.name, decision));
    }
    if (decision.allowed) {
      if (skipSuccessful && cost > 0) {
        const pending = refunds.get(request);
        if (pending === undefined) refunds.set(request, [{ policy, key, cost }]);
        else pending.push({ policy, key, cost });
      }
      next();
      return;
    }
    // E3: every refusal is logged and counted; the trail keeps the first per address (IPv6: per /64) and minute.
    const pending = emitRequestEvent(
      request,
      'ratelimit.exceeded',
      { policy: policy.name, blocked: decision.blocked, retryAfterMs: decision.retryAfterMs },
      { trail: trailedRefusals.admits(`${policy.name}|${addressKey(request.clientAddress)}`) },
    );
    refusingPolicies.set(request, policy.name);
    afterEvent(pending, () => next(new PortcullisError('ratelimit.exceeded', { headers: { 'retry-after': retryAfterSeconds(decision.retryAfterMs) } })));
  }

  return function enforceRateLimit(request, reply, next) {
    const key = keyOf(request);
    if (key === undefined) {
      if (policyField !== undefined) reply.header('ratelimit-policy', policyField);
      next();
      return;
    }
    let decision: PolicyDecision | Promise<PolicyDecision>;
    let cost = fixedCost;
    try {
      if (costOf !== undefined) cost = costOf(request);
      decision = policy.checkTransient(key, cost);
    } catch (error) {
      next(error as Error);
      return;
    }
    if (decision instanceof Promise) {
      decision.then((settled) => conclude(request, reply, next, settled, key, cost), (error: Error) => next(error));
    } else {
      conclude(request, reply, next, decision, key, cost);
    }
  };
}

/** The onResponse hook that gives back the units of successful requests (skip-successful). */
export function refundSuccessful(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction): void {
  const pending = refunds.get(request);
  if (pending !== undefined && reply.statusCode < 400) {
    for (const { policy, key, cost } of pending) {
      const done = policy.refund(key, cost);
      if (done instanceof Promise) done.catch(() => undefined);
    }
  }
  next();
}
