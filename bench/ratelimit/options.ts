/**
 * Run settings of the rate limiter bench: flags, then environment, then defaults. The environment
 * exists because the root `npm run bench:ratelimit` cannot forward flags through `npm run -w`.
 */
import { parseArgs } from 'node:util';
import { CONTENDERS, SUITES, type Suite } from './contenders.ts';
import { list, positiveNumber } from '../lib/option-values.ts';

export interface RateLimitBenchOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Decisions in flight at once against Redis. */
  concurrency: number;
  /** Distinct keys of the many-keys pattern. */
  manyKeys: number;
  suites: Suite[];
  /** Contender ids to run; empty means all. */
  contenders: string[];
  redisUrl: string;
  quick: boolean;
  /** When set, every measuring process runs with --cpu-prof and writes its profile here. */
  cpuProfileDir: string | undefined;
}

const DEFAULTS = { rounds: 5, durationSeconds: 3, warmupSeconds: 1, concurrency: 64, manyKeys: 10_000 };
const QUICK = { rounds: 1, durationSeconds: 1, warmupSeconds: 0.5 };

export const USAGE = `Usage: npm run bench:ratelimit  (from the repo root)
       npm run bench:ratelimit -w @portcullis/bench -- [flags]

Flags (env):
  --rounds N         (BENCH_ROUNDS)       interleaved rounds, default ${DEFAULTS.rounds}
  --duration S       (BENCH_DURATION)     measured seconds per contender per round, default ${DEFAULTS.durationSeconds}
  --warmup S         (BENCH_WARMUP)       unmeasured seconds before each measurement, default ${DEFAULTS.warmupSeconds}
  --concurrency N    (BENCH_CONCURRENCY)  decisions in flight against Redis, default ${DEFAULTS.concurrency}
  --keys N           (BENCH_KEYS)         distinct keys of the many-keys pattern, default ${DEFAULTS.manyKeys}
  --suites a,b       (BENCH_SUITES)       ${SUITES.join(', ')} (default both)
  --contenders a,b   (BENCH_CONTENDERS)   subset of: ${CONTENDERS.map((contender) => contender.id).join(', ')}
  --redis-url URL    (REDIS_URL)          default redis://127.0.0.1:6379
  --quick            (BENCH_QUICK=1)      smoke run: ${QUICK.rounds} round of ${QUICK.durationSeconds} s, ${QUICK.warmupSeconds} s warm-up
  --cpu-prof DIR     (BENCH_CPU_PROF)     write a V8 CPU profile of every measuring process into DIR
`;

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): RateLimitBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      keys: { type: 'string' },
      suites: { type: 'string' },
      contenders: { type: 'string' },
      'redis-url': { type: 'string' },
      quick: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';

  const quick = values.quick === true || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;

  const suites = list(values.suites ?? env.BENCH_SUITES);
  const unknownSuites = suites.filter((suite) => !(SUITES as readonly string[]).includes(suite));
  if (unknownSuites.length > 0) throw new RangeError(`unknown suite(s) ${unknownSuites.join(', ')}; known: ${SUITES.join(', ')}`);
  const contenders = list(values.contenders ?? env.BENCH_CONTENDERS);
  const unknownContenders = contenders.filter((id) => !CONTENDERS.some((contender) => contender.id === id));
  if (unknownContenders.length > 0) {
    throw new RangeError(`unknown contender(s) ${unknownContenders.join(', ')}; known: ${CONTENDERS.map((contender) => contender.id).join(', ')}`);
  }

  return {
    quick,
    rounds: positiveNumber(values.rounds ?? env.BENCH_ROUNDS, 'rounds', true) ?? base.rounds,
    durationSeconds: positiveNumber(values.duration ?? env.BENCH_DURATION, 'duration', false) ?? base.durationSeconds,
    warmupSeconds: positiveNumber(values.warmup ?? env.BENCH_WARMUP, 'warmup', false) ?? base.warmupSeconds,
    concurrency: positiveNumber(values.concurrency ?? env.BENCH_CONCURRENCY, 'concurrency', true) ?? base.concurrency,
    manyKeys: positiveNumber(values.keys ?? env.BENCH_KEYS, 'keys', true) ?? base.manyKeys,
    suites: suites.length === 0 ? [...SUITES] : SUITES.filter((suite) => suites.includes(suite)),
    contenders,
    redisUrl: values['redis-url'] ?? (env.REDIS_URL || 'redis://127.0.0.1:6379'),
    cpuProfileDir: values['cpu-prof'] ?? (env.BENCH_CPU_PROF || undefined),
  };
}
