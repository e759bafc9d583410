export * from './types.js';
export { normaliseLimit, checkCost, dailyQuota, monthlyQuota } from './limit-spec.js';
export { createMemoryLimiter, MemoryRateLimiter, emptyDecision, type MemoryLimiterOptions, type MutableDecision } from './memory-limiter.js';
export { addressKey, compoundKey, keyPart } from './limit-keys.js';
export { formatPolicyItem, formatLimitItem, retryAfterSeconds, assertPolicyName } from './limit-fields.js';
export { StoreGuard, type FailMode, type GuardedDecision, type StoreGuardOptions, type StoreStateEvent } from './store-guard.js';
export {
  createRateLimitPolicy,
  RateLimitPolicy,
  type PolicyDecision,
  type RateLimitPolicyEvent,
  type RateLimitPolicyOptions,
  type SlowDownOptions,
} from './rate-limit-policy.js';
export { LoadShedder, type LoadSheddingOptions } from './load-shedder.js';
export { createRedisLimiter, RedisRateLimiter, type RedisLimiterOptions, type RedisScriptClient } from './redis/index.js';
