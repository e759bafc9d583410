import type { RedisHandle } from '../../infra/redis-connection.js';

/**
 * How a revocation or rotation reaches every instance's verified-key cache. The instance that
 * made the change forgets the key at once; with Redis, it also publishes the key id and every
 * instance subscribed forgets it within milliseconds. Whatever happens to those messages (Redis
 * down, a subscriber reconnecting), the cache's own lifetime (API_KEY_CACHE_TTL_MS, 5 s by
 * default) bounds how long any instance can still accept the key.
 */
export interface ApiKeyInvalidation {
  announce(keyId: string): Promise<void>;
  close(): Promise<void>;
}

export function localInvalidation(forget: (keyId: string) => void): ApiKeyInvalidation {
  return {
    async announce(keyId) {
      forget(keyId);
    },
    async close() {},
  };
}

const KEY_ID = /^key_[A-Za-z0-9_-]{16}$/;

export function redisInvalidation(redis: RedisHandle, channel: string, forget: (keyId: string) => void, onError: (error: unknown) => void): ApiKeyInvalidation {
  const subscriber = redis.client.duplicate();
  subscriber.on('error', onError);
  // Not awaited: with Redis down at start the server must still start (the cache lifetime bounds
  // revocation meanwhile); node-redis keeps reconnecting and keeps the subscription across reconnects.
  void subscriber
    .connect()
    .then(() =>
      subscriber.subscribe(channel, (message: string) => {
        if (KEY_ID.test(message)) forget(message);
      }),
    )
    .catch(onError);
  return {
    async announce(keyId) {
      forget(keyId);
      await redis.client.publish(channel, keyId).catch(onError);
    },
    async close() {
      // isOpen stays true while node-redis retries a connection, so this also ends a retry loop.
      if (subscriber.isOpen) subscriber.destroy();
    },
  };
}
