export { createRedisLimiter, RedisRateLimiter, type RedisLimiterOptions } from './redis-limiter.js';
export type { RedisScriptClient } from './script-client.js';
