import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { StoredApiKey } from 'portcullis/auth';
import { createRateLimitHook } from 'portcullis/fastify';
import { compoundKey, dailyQuota, monthlyQuota, type LimitSpec } from 'portcullis/ratelimit';
import type { ServerConfig } from '../../config/server-config.js';
import { serverPolicyFactory, type LimiterStoreFactory } from '../rate-limits.js';

/**
 * Each API key's own rate limit and daily/monthly quotas (R4, A8), enforced through the same
 * rate-limit engine as every other limit (Redis when configured, so all instances share the
 * count), after the key is verified. They add their items to `RateLimit-Policy` and `RateLimit`
 * (`"key"`, `"key-daily"`, `"key-monthly"`), so a client sees which one it is spending and a
 * refusal names the quota. Policies are built once per distinct setting and reused by every key
 * that has it, and never dropped: dropping one would reset the in-memory counts of every key with
 * that setting. Their number is bounded by the keys that exist (each user has at most 100 live).
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

const keyOf = (request: FastifyRequest): string | undefined => (request.apiKey === undefined ? undefined : compoundKey('apikey', request.apiKey.key.id));

export function createApiKeyLimits(config: ServerConfig, storeFor: LimiterStoreFactory): Hook {
  const policyNamed = serverPolicyFactory(config, storeFor);
  const hooksBySetting = new Map<string, Hook[]>();

  const policyHook = (name: string, limit: LimitSpec): Hook => createRateLimitHook({ policy: policyNamed(name, limit), key: keyOf }, { appendPolicy: true });

  const hooksFor = (key: StoredApiKey): Hook[] => {
    const setting = `${key.rateLimit?.limit}/${key.rateLimit?.windowSeconds}/${key.quota?.daily}/${key.quota?.monthly}`;
    let hooks = hooksBySetting.get(setting);
    if (hooks === undefined) {
      hooks = [];
      if (key.rateLimit !== undefined) hooks.push(policyHook('key', { algorithm: 'sliding-counter', limit: key.rateLimit.limit, windowMs: key.rateLimit.windowSeconds * 1000 }));
      if (key.quota?.daily !== undefined) hooks.push(policyHook('key-daily', dailyQuota(key.quota.daily)));
      if (key.quota?.monthly !== undefined) hooks.push(policyHook('key-monthly', monthlyQuota(key.quota.monthly)));
      hooksBySetting.set(setting, hooks);
    }
    return hooks;
  };

  return function enforceApiKeyLimits(request, reply, done) {
    if (request.apiKey === undefined) {
      done();
      return;
    }
    const hooks = hooksFor(request.apiKey.key);
    let index = 0;
    const next = (error?: Error): void => {
      if (error !== undefined || index === hooks.length) {
        done(error);
        return;
      }
      const hook = hooks[index] as Hook;
      index += 1;
      hook(request, reply, next as HookHandlerDoneFunction);
    };
    next();
  };
}
