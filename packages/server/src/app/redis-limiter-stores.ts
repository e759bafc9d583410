import { createRedisLimiter } from 'portcullis/ratelimit';
import type { RedisHandle } from '../infra/redis-connection.js';
import type { LimiterStoreFactory } from './rate-limits.js';

/** Limiter counters in Redis, one key prefix per policy; memory (undefined) when Redis is not configured. */
export function redisLimiterStores(redis: RedisHandle | undefined, prefix: string): LimiterStoreFactory {
  if (redis === undefined) return () => undefined;
  return (policy) => (spec) => createRedisLimiter(spec, { client: redis.client, prefix: `${prefix}${policy}:` });
}
