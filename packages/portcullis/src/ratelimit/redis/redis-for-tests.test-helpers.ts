/**
 * The Redis the library's limiter tests run against: `REDIS_URL`, default redis://127.0.0.1:6379,
 * if it answers a PING in time. Unreachable Redis skips those tests behind a banner nobody can
 * miss, or fails the run under CI=true, because a green run that silently skipped the Redis suite
 * is a lie. Tests share the server, so each suite works under its own random key prefix and
 * deletes what it wrote.
 *
 *   const redis = await redisForTests();
 *   describe('redis limiter', { skip: redis === undefined && 'Redis unreachable' }, () => { ... });
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { PortcullisError } from '../../errors/index.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PING_TIMEOUT_MS = 3000;

export type TestRedisClient = ReturnType<typeof createClient>;

let checked: Promise<string | undefined> | undefined;

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function describeFailure(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message.slice(0, 200);
  }
  return String(error).slice(0, 200);
}

function reportUnreachable(url: string, reason: string): void {
  const where = `Redis at ${redact(url)}`;
  if (process.env.CI === 'true') {
    throw new PortcullisError('storage.unavailable', { detail: `${where} is unreachable (${reason}); CI=true requires it` });
  }
  const bar = '!'.repeat(78);
  console.error(
    [
      '',
      bar,
      '!! REDIS IS NOT REACHABLE: THE REDIS LIMITER TESTS ARE SKIPPED',
      `!! ${where}: ${reason}`,
      '!! Start it or point REDIS_URL at one. Under CI=true this is a failure.',
      bar,
      '',
    ].join('\n'),
  );
}

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
        if ((await client.ping()) !== 'PONG') throw Object.assign(new Error('unexpected reply'), { code: 'unexpected PING reply' });
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    if (client.isOpen) client.destroy();
  }
}

/** The Redis URL to test against, or undefined after the banner; throws under CI=true. Checked once per process. */
export function redisUrlForTests(): Promise<string | undefined> {
  checked ??= (async () => {
    const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
    try {
      await answersPing(url);
      return url;
    } catch (error) {
      reportUnreachable(url, describeFailure(error));
      return undefined;
    }
  })();
  return checked;
}

export interface TestRedis {
  readonly url: string;
  readonly client: TestRedisClient;
  /** A fresh random prefix under this suite's own, e.g. for one property run. */
  prefix(label?: string): string;
  /** Opens another connection (for commands that must not share the limiter's). */
  connect(): Promise<TestRedisClient>;
  /** Deletes every key under the suite's prefix and closes the connections. */
  close(): Promise<void>;
}

async function deleteUnder(client: TestRedisClient, pattern: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    if (keys.length > 0) await client.unlink(keys);
  }
}

/** A connected client and a random key prefix for one suite, or undefined when Redis is unreachable. */
export async function redisForTests(): Promise<TestRedis | undefined> {
  const url = await redisUrlForTests();
  if (url === undefined) return undefined;
  const suitePrefix = `pc:test:${randomBytes(6).toString('hex')}:`;
  const opened: TestRedisClient[] = [];
  const connect = async (): Promise<TestRedisClient> => {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    opened.push(client);
    return client;
  };
  const client = await connect();
  let counter = 0;
  return {
    url,
    client,
    prefix: (label = 'p') => `${suitePrefix}${label}${(counter += 1)}:`,
    connect,
    async close() {
      await deleteUnder(client, `${suitePrefix}*`);
      await Promise.all(opened.filter((each) => each.isOpen).map((each) => each.close().catch(() => each.destroy())));
    },
  };
}
