import type { FastifyRequest } from 'fastify';
import type { RouteRateLimit } from 'portcullis/fastify';
import { compoundKey, createRateLimitPolicy, type LimitSpec, type RateLimiter, type RateLimitPolicyOptions } from 'portcullis/ratelimit';
import type { ServerConfig } from '../config/server-config.js';

/**
 * The reference server's rate-limit policies (R4): a general limit on every route, and strict
 * limits for the routes attackers hammer (login, registration, password reset, MFA). Counters
 * live in Redis when REDIS_URL is set (shared by every instance), in memory otherwise.
 * The README's "Rate limiting" section documents each default.
 */
export interface ServerRateLimits {
  readonly general: RouteRateLimit;
  /** Login: per address, failed attempts only, with growing blocks for repeat offenders. */
  readonly loginByAddress: RouteRateLimit;
  /** Login: per account name, failed attempts only; no penalty, so nobody can lock a user out for long. */
  readonly loginByAccount: RouteRateLimit;
  readonly registration: RouteRateLimit;
  readonly passwordReset: RouteRateLimit;
  /** TOTP and backup-code checks of a signed-in user (enable, disable, new codes), per account. */
  readonly mfaVerify: RouteRateLimit;
  /** Refresh-token rotation, per address. */
  readonly refresh: RouteRateLimit;
  /** Password change (it checks the current password), per address, failures only. */
  readonly passwordChange: RouteRateLimit;
}

export type LimiterStoreFactory = (policy: string) => ((spec: LimitSpec) => RateLimiter) | undefined;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The account a login names, read from the parsed body; undefined skips the per-account limit. */
function loginAccountKey(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const account = body?.['email'] ?? body?.['username'];
  return typeof account === 'string' && account !== '' ? compoundKey('account', account.trim().toLowerCase()) : undefined;
}

/** Builds policies with the server's fail mode, store timeout, key capacity and store (Redis when configured). */
export function serverPolicyFactory(config: ServerConfig, storeFor: LimiterStoreFactory) {
  const settings = config.rateLimit;
  return (name: string, limit: LimitSpec, extra: Partial<RateLimitPolicyOptions> = {}) => {
    const store = storeFor(name);
    return createRateLimitPolicy({
      name,
      limit,
      failMode: settings.failMode,
      storeTimeoutMs: settings.storeTimeoutMs,
      maxKeys: settings.maxKeys,
      ...(store === undefined ? {} : { store }),
      ...extra,
    });
  };
}

export function buildServerRateLimits(config: ServerConfig, storeFor: LimiterStoreFactory): ServerRateLimits {
  const settings = config.rateLimit;
  const policy = serverPolicyFactory(config, storeFor);
  const strict = (limit: number, windowMs: number): LimitSpec => ({ algorithm: 'sliding-log', limit, windowMs });
  const repeatOffender = { after: 3, blockMs: 15 * MINUTE, maxBlockMs: 24 * HOUR, decayMs: 24 * HOUR };
  return {
    general: {
      policy: policy('api', { algorithm: settings.generalAlgorithm, limit: settings.generalLimit, windowMs: settings.generalWindowMs }),
    },
    loginByAddress: {
      policy: policy('login', { ...strict(settings.authLimit, settings.authWindowMs), penalty: repeatOffender }),
      skipSuccessful: true,
    },
    loginByAccount: {
      policy: policy('login-account', strict(settings.authLimit, settings.authWindowMs)),
      key: loginAccountKey,
      skipSuccessful: true,
      phase: 'preHandler',
    },
    registration: { policy: policy('register', { ...strict(settings.authLimit, HOUR), penalty: repeatOffender }) },
    passwordReset: { policy: policy('password-reset', { ...strict(settings.authLimit, HOUR), penalty: repeatOffender }) },
    mfaVerify: {
      policy: policy('mfa', strict(settings.authLimit, settings.authWindowMs)),
      key: (request) => (request.principal === undefined ? undefined : compoundKey('user', request.principal.userId)),
      phase: 'preHandler',
    },
    refresh: { policy: policy('refresh', strict(settings.authLimit * 6, settings.authWindowMs)) },
    passwordChange: { policy: policy('password-change', strict(settings.authLimit, settings.authWindowMs)), skipSuccessful: true },
  };
}
