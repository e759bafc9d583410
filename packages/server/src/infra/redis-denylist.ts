import type { DenylistBackend } from 'portcullis/auth';
import type { RedisHandle } from './redis-connection.js';

/**
 * The access-token denylist shared through Redis when it is configured: one sorted set scored by
 * revocation time (so instances pull what is new with one ZRANGEBYSCORE) whose members carry their
 * own expiry, pruned by score. Every instance still answers "is it revoked?" from its own memory.
 */
export function redisDenylistBackend(redis: RedisHandle, key: string): DenylistBackend {
  return {
    async add(entry) {
      await redis.client.zAdd(key, { score: entry.revokedAt, value: `${entry.expiresAt}|${entry.id}` });
    },
    async revokedSince(since, now) {
      const members = await redis.client.zRangeByScoreWithScores(key, since, '+inf');
      const entries = [];
      for (const { value, score } of members) {
        const bar = value.indexOf('|');
        const expiresAt = Number(value.slice(0, bar));
        if (bar > 0 && expiresAt > now) entries.push({ id: value.slice(bar + 1), revokedAt: score, expiresAt });
      }
      return entries;
    },
    async prune(now) {
      // Access tokens live at most a day, so nothing revoked more than a day ago can refuse anything.
      await redis.client.zRemRangeByScore(key, '-inf', now - 86_400_000);
    },
  };
}
