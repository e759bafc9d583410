/**
 * What the rate limiter bench compares, as plain data shared by the orchestrator and the measuring
 * processes: the contenders (Portcullis per algorithm, and the limiters users would pick instead),
 * the two workloads and the two key patterns. The code that builds each limiter is in `limiters.ts`.
 */
import { ALGORITHM_NAMES, type AlgorithmName } from 'portcullis/ratelimit';

export const SUITES = ['memory', 'redis'] as const;
export type Suite = (typeof SUITES)[number];

export type Library = 'portcullis' | 'rate-limiter-flexible' | '@fastify/rate-limit' | 'express-rate-limit';

export interface Contender {
  /** Stable id, used on the command line and in the results. */
  id: string;
  suite: Suite;
  library: Library;
  /** Every peer is a fixed-window counter, the closest equivalent of each Portcullis algorithm. */
  algorithm: AlgorithmName;
  /** The API that is timed, as a reader would look it up. */
  api: string;
}

const portcullis = (suite: Suite): Contender[] =>
  ALGORITHM_NAMES.map((algorithm) => ({
    id: `portcullis-${suite}:${algorithm}`,
    suite,
    library: 'portcullis' as const,
    algorithm,
    api: suite === 'memory' ? 'createMemoryLimiter(spec).decide(key) (synchronous)' : 'createRedisLimiter(spec, { client, prefix }).decide(key)',
  }));

export const CONTENDERS: readonly Contender[] = [
  ...portcullis('memory'),
  {
    id: 'rlf-memory',
    suite: 'memory',
    library: 'rate-limiter-flexible',
    algorithm: 'fixed-window',
    api: 'new RateLimiterMemory({ points, duration }).consume(key) (promise; rejects when refused)',
  },
  {
    id: 'fastify-local',
    suite: 'memory',
    library: '@fastify/rate-limit',
    algorithm: 'fixed-window',
    api: "store/LocalStore.js incr(key, cb, timeWindow, max) (its callback runs synchronously; LRU cache sized to hold every key)",
  },
  {
    id: 'express-memory',
    suite: 'memory',
    library: 'express-rate-limit',
    algorithm: 'fixed-window',
    api: 'new MemoryStore() + init({ windowMs }), increment(key) (async)',
  },
  ...portcullis('redis'),
  {
    id: 'rlf-redis',
    suite: 'redis',
    library: 'rate-limiter-flexible',
    algorithm: 'fixed-window',
    api: 'new RateLimiterRedis({ storeClient: node-redis, useRedisPackage: true, points, duration }).consume(key)',
  },
  {
    id: 'fastify-redis',
    suite: 'redis',
    library: '@fastify/rate-limit',
    algorithm: 'fixed-window',
    api: 'store/RedisStore.js incr(key, cb, timeWindow, max) on an ioredis client (default options)',
  },
  {
    id: 'express-redis',
    suite: 'redis',
    library: 'express-rate-limit',
    algorithm: 'fixed-window',
    api: "rate-limit-redis RedisStore({ sendCommand: (...args) => client.sendCommand(args) }) on node-redis, increment(key)",
  },
];

export function contenderById(id: string): Contender {
  const found = CONTENDERS.find((contender) => contender.id === id);
  if (found === undefined) throw new RangeError(`unknown contender ${id}`);
  return found;
}

export const WORKLOAD_NAMES = ['under-limit', 'over-limit'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface Workload {
  name: WorkloadName;
  limit: number;
  windowMs: number;
  description: string;
}

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  // 1e9 per 1,000 s: no algorithm refuses within a run (gcra cannot keep 1e9 per 60 s exact, 1e9 per 1,000 s it can).
  'under-limit': {
    name: 'under-limit',
    limit: 1_000_000_000,
    windowMs: 1_000_000,
    description: '1e9 per 1,000 s: every decision is admitted (the counting path)',
  },
  'over-limit': {
    name: 'over-limit',
    limit: 10,
    windowMs: 60_000,
    description: '10 per 60 s: after the first 10 decisions per key nearly every decision is refused (the path an abusive client drives)',
  },
};

/**
 * sliding-log keeps one entry per admitted decision for a whole window (its documented trade-off),
 * so with nothing refused it would hold every decision of the run; it is measured over the limit only.
 */
export function contenderRuns(contender: Contender, workload: WorkloadName): boolean {
  return !(workload === 'under-limit' && contender.algorithm === 'sliding-log' && contender.library === 'portcullis');
}

export const KEY_PATTERNS = ['hot', 'many'] as const;
export type KeyPattern = (typeof KEY_PATTERNS)[number];

/** The keys a measurement cycles through, round-robin; IPv4-shaped like the usual client-address key. */
export function keysFor(pattern: KeyPattern, manyKeys: number): string[] {
  if (pattern === 'hot') return ['ip:203.0.113.7'];
  return Array.from({ length: manyKeys }, (_, index) => `ip:10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`);
}

export interface Scenario {
  suite: Suite;
  workload: WorkloadName;
  keys: KeyPattern;
}

export const scenarioId = (scenario: Scenario): string => `${scenario.suite}/${scenario.workload}/${scenario.keys}`;

export function allScenarios(suites: readonly Suite[]): Scenario[] {
  return suites.flatMap((suite) => WORKLOAD_NAMES.flatMap((workload) => KEY_PATTERNS.map((keys) => ({ suite, workload, keys }))));
}
