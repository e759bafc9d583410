import { once } from 'node:events';
import { createClient } from 'redis';
import { PortcullisError } from 'portcullis/errors';

/**
 * The shared Redis connection (limiter state, revocation, nonces in later checkpoints). The server
 * starts even when Redis is down: readiness reports it, and every caller bounds its own wait.
 */
export type RedisConnection = ReturnType<typeof createClient>;

export interface RedisHandle {
  readonly client: RedisConnection;
  /** Resolves when Redis answers PING within `timeoutMs`, else throws `service.unavailable`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function openRedis(url: string, onError: (error: unknown) => void): RedisHandle {
  const client = createClient({
    url,
    socket: {
      connectTimeout: 2_000,
      // Back off to at most 2 s between attempts, forever: Redis coming back must heal by itself.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
    },
    disableOfflineQueue: true,
  });
  client.on('error', onError);
  client.connect().catch(onError);
  return {
    client,
    async ping(timeoutMs = 1_000): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PortcullisError('service.unavailable', { detail: 'Redis did not answer in time' })), timeoutMs);
      });
      // Right after start (or during a reconnect) the socket may not be ready yet: wait for it
      // within the same bound rather than failing at once.
      const answered = client.isReady ? client.ping() : once(client, 'ready').then(() => client.ping());
      // If the timeout wins, a later 'error' rejection of the loser must not become unhandled.
      answered.catch(() => undefined);
      try {
        await Promise.race([answered, timeout]);
      } catch (cause) {
        throw new PortcullisError('service.unavailable', { detail: 'Redis is unreachable', cause });
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      // close() waits for pending replies, which never come from a server that is not there.
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    },
  };
}
