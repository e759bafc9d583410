/**
 * Builds each contender's limiter the way its documentation shows, behind one small shape the
 * measuring loop drives: `decide(key)` returns the library's own result (or its promise) and
 * `admitted(result)` reads it, so no contender pays for an extra wrapper promise per decision.
 * Libraries are imported only by the process that measures them.
 */
import { createRequire } from 'node:module';
import type { LimitSpec, RateLimitDecision } from 'portcullis/ratelimit';
import type { Contender, Workload } from './contenders.ts';
import { addressFromClientInfo, clientAddress, connectNodeRedis, type NodeRedisClient } from './redis-tools.ts';

const require = createRequire(import.meta.url);

interface Common {
  /** The addresses of the limiter's own Redis connections as the server sees them (the MONITOR filter). */
  connections(): Promise<string[]>;
  close(): Promise<void>;
}

export interface SyncDecider<T> extends Common {
  kind: 'sync';
  decide(key: string): T;
  admitted(result: T): boolean;
}

export interface AsyncDecider<T> extends Common {
  kind: 'async';
  decide(key: string): Promise<T>;
  admitted(result: T): boolean;
  /** For libraries that reject to refuse: true when the rejection is a refusal, not a failure. */
  isRefusal(error: unknown): boolean;
}

/** Each contender has its own result type; `admitted` is declared as a method, so any T fits. */
export type Decider = SyncDecider<unknown> | AsyncDecider<unknown>;

export interface LimiterContext {
  workload: Pick<Workload, 'limit' | 'windowMs'>;
  redisUrl: string;
  /** This measurement's own key prefix in Redis; nothing outside it is written or deleted. */
  prefix: string;
}

const noConnections = async (): Promise<string[]> => [];
const notARefusal = (): boolean => false;

interface RedisLimiterLike {
  decide(key: string, cost?: number): Promise<RateLimitDecision>;
}
type CreateRedisLimiter = (spec: LimitSpec, options: { client: unknown; prefix: string }) => RedisLimiterLike | Promise<RedisLimiterLike>;

/**
 * The Portcullis Redis limiter is enabled automatically once `portcullis/ratelimit` exports
 * `createRedisLimiter` (looked up at run time, so this file compiles before and after it lands).
 */
export async function findCreateRedisLimiter(): Promise<CreateRedisLimiter | undefined> {
  const ratelimit = (await import('portcullis/ratelimit')) as unknown as Record<string, unknown>;
  const create = ratelimit.createRedisLimiter;
  return typeof create === 'function' ? (create as CreateRedisLimiter) : undefined;
}

async function portcullisMemory(contender: Contender, context: LimiterContext): Promise<Decider> {
  const { createMemoryLimiter, emptyDecision } = await import('portcullis/ratelimit');
  const limiter = createMemoryLimiter({ algorithm: contender.algorithm, ...context.workload });
  // The call the Fastify adapter makes: one decision object per policy, rewritten each time (the
  // same way LocalStore hands back its stored record instead of a new object). `decide`, which
  // returns a fresh object, costs one small allocation more.
  const out = emptyDecision();
  const decider: SyncDecider<RateLimitDecision> = {
    kind: 'sync',
    decide: (key) => limiter.decideInto(out, key),
    admitted: (decision) => decision.allowed,
    connections: noConnections,
    close: async () => limiter.clear(),
  };
  return decider;
}

async function portcullisRedis(contender: Contender, context: LimiterContext): Promise<Decider> {
  const create = await findCreateRedisLimiter();
  if (create === undefined) {
    throw new Error('portcullis/ratelimit does not export createRedisLimiter yet (rebuild the library once it lands)');
  }
  const client = await connectNodeRedis(context.redisUrl);
  const limiter = await create({ algorithm: contender.algorithm, ...context.workload }, { client, prefix: `${context.prefix}:` });
  const decider: AsyncDecider<RateLimitDecision> = {
    kind: 'async',
    decide: (key) => limiter.decide(key),
    admitted: (decision) => decision.allowed,
    isRefusal: notARefusal,
    connections: async () => [await clientAddress(client)],
    close: async () => void (await client.close()),
  };
  return decider;
}

async function rlf(context: LimiterContext, redis: boolean): Promise<Decider> {
  const { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } = await import('rate-limiter-flexible');
  const options = { points: context.workload.limit, duration: context.workload.windowMs / 1000, keyPrefix: context.prefix };
  const client: NodeRedisClient | undefined = redis ? await connectNodeRedis(context.redisUrl) : undefined;
  const limiter = client === undefined ? new RateLimiterMemory(options) : new RateLimiterRedis({ ...options, storeClient: client, useRedisPackage: true });
  const decider: AsyncDecider<unknown> = {
    kind: 'async',
    // consume() resolves when admitted and rejects with a RateLimiterRes when refused.
    decide: (key) => limiter.consume(key),
    admitted: () => true,
    isRefusal: (error) => error instanceof RateLimiterRes,
    connections: async () => (client === undefined ? [] : [await clientAddress(client)]),
    close: async () => void (await client?.close()),
  };
  return decider;
}

interface FastifyStoreResult {
  current: number;
  ttl: number;
}
type FastifyIncr = (key: string, callback: (error: Error | null, result: FastifyStoreResult) => void, timeWindow: number, max: number) => void;
interface FastifyStore {
  incr: FastifyIncr;
}

async function fastifyLocal(context: LimiterContext, keyCount: number): Promise<Decider> {
  const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache: number) => FastifyStore;
  const { limit, windowMs } = context.workload;
  // The plugin's default LRU holds 5,000 keys; sized to hold every key, or it would forget counts.
  const store = new LocalStore(false, false, Math.max(5_000, keyCount * 2));
  let last: FastifyStoreResult = { current: 0, ttl: 0 };
  const keep = (error: Error | null, result: FastifyStoreResult): void => {
    if (error !== null) throw error;
    last = result;
  };
  const decider: SyncDecider<FastifyStoreResult> = {
    kind: 'sync',
    // LocalStore calls back synchronously; the plugin itself wraps each call in a promise.
    decide: (key) => {
      store.incr(key, keep, windowMs, limit);
      return last;
    },
    admitted: (result) => result.current <= limit,
    connections: noConnections,
    close: async () => undefined,
  };
  return decider;
}

async function fastifyRedis(context: LimiterContext): Promise<Decider> {
  const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: unknown, key: string) => FastifyStore;
  const { Redis } = await import('ioredis');
  const client = new Redis(context.redisUrl, { lazyConnect: true });
  await client.connect();
  const store = new RedisStore(false, false, client, `${context.prefix}:`);
  const { limit, windowMs } = context.workload;
  const decider: AsyncDecider<FastifyStoreResult> = {
    kind: 'async',
    // As the plugin does: one promise around the store's callback.
    decide: (key) =>
      new Promise((resolve, reject) => {
        store.incr(key, (error, result) => (error === null ? resolve(result) : reject(error)), windowMs, limit);
      }),
    admitted: (result) => result.current <= limit,
    isRefusal: notARefusal,
    connections: async () => [addressFromClientInfo(String(await client.call('CLIENT', 'INFO')))],
    close: async () => void (await client.quit()),
  };
  return decider;
}

interface ExpressIncrement {
  totalHits: number;
}

async function expressMemory(context: LimiterContext): Promise<Decider> {
  const { MemoryStore } = await import('express-rate-limit');
  const store = new MemoryStore();
  store.init({ windowMs: context.workload.windowMs } as Parameters<typeof store.init>[0]);
  const { limit } = context.workload;
  const decider: AsyncDecider<ExpressIncrement> = {
    kind: 'async',
    decide: (key) => store.increment(key),
    admitted: (result) => result.totalHits <= limit,
    isRefusal: notARefusal,
    connections: noConnections,
    close: async () => store.shutdown(),
  };
  return decider;
}

async function expressRedis(context: LimiterContext): Promise<Decider> {
  const { RedisStore } = await import('rate-limit-redis');
  const client = await connectNodeRedis(context.redisUrl);
  const store = new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args), prefix: `${context.prefix}:` });
  await store.init({ windowMs: context.workload.windowMs } as Parameters<typeof store.init>[0]);
  const { limit } = context.workload;
  const decider: AsyncDecider<ExpressIncrement> = {
    kind: 'async',
    decide: (key) => store.increment(key),
    admitted: (result) => result.totalHits <= limit,
    isRefusal: notARefusal,
    connections: async () => [await clientAddress(client)],
    close: async () => void (await client.close()),
  };
  return decider;
}

export async function buildDecider(contender: Contender, context: LimiterContext, keyCount: number): Promise<Decider> {
  switch (contender.id) {
    case 'rlf-memory':
      return rlf(context, false);
    case 'rlf-redis':
      return rlf(context, true);
    case 'fastify-local':
      return fastifyLocal(context, keyCount);
    case 'fastify-redis':
      return fastifyRedis(context);
    case 'express-memory':
      return expressMemory(context);
    case 'express-redis':
      return expressRedis(context);
    default:
      if (contender.library !== 'portcullis') throw new RangeError(`no builder for ${contender.id}`);
      return contender.suite === 'memory' ? portcullisMemory(contender, context) : portcullisRedis(contender, context);
  }
}
