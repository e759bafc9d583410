import { createClient } from 'redis';
import { describeFailure, reportUnavailableService } from './unavailable-service.js';

/**
 * The Redis that tests run against: `REDIS_URL`, default redis://127.0.0.1:6379, if it answers a
 * PING within a bounded time. Unreachable Redis is skipped loudly, or fails the run under CI=true.
 *
 *   const redisUrl = await redisUrlForTests();
 *   describe('redis store', { skip: redisUrl === undefined && 'Redis unreachable' }, () => { ... });
 *
 * Tests share this one server, so they must namespace their keys (a random prefix per suite).
 */

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PING_TIMEOUT_MS = 3000;

let checked: Promise<string | undefined> | undefined;

async function answersPing(url: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: PING_TIMEOUT_MS, reconnectStrategy: false } });
  // Connection errors are also emitted as events; without a listener they would crash the process.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: `no PONG within ${PING_TIMEOUT_MS} ms` })), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const reply = await client.ping();
        if (reply !== 'PONG') throw Object.assign(new Error('unexpected reply'), { code: 'unexpected PING reply' });
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    if (client.isOpen) client.destroy();
  }
}

/**
 * The Redis URL to test against, or `undefined` (after a loud warning) when it does not answer.
 * Throws `storage.unavailable` under CI=true instead of returning `undefined`. Checked once per process.
 */
export function redisUrlForTests(): Promise<string | undefined> {
  checked ??= (async () => {
    const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
    try {
      await answersPing(url);
      return url;
    } catch (error) {
      reportUnavailableService('Redis', 'REDIS_URL', url, describeFailure(error));
      return undefined;
    }
  })();
  return checked;
}
