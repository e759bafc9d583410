/**
 * Run settings of the API key bench: flags, then environment, then defaults. The environment
 * exists because the root `npm run bench:apikeys` cannot forward flags through `npm run -w`.
 */
import { parseArgs } from 'node:util';
import { SCENARIO_IDS, WARM_CACHE_TTL_MS, type ScenarioId } from './scenarios.ts';
import { list, positiveNumber } from '../lib/option-values.ts';

export interface ApiKeyBenchOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Scenario ids to run; empty means all. */
  scenarios: ScenarioId[];
  /** Keys verified over and over in the warm scenarios, all cached. */
  hotKeys: number;
  /** Valid keys stored (and cycled through in the cold scenarios). */
  keys: number;
  /** Verifications in flight at once against PostgreSQL. */
  concurrency: number;
  poolSize: number;
  databaseUrl: string;
  quick: boolean;
  /** When set, every measuring process runs with --cpu-prof and writes its profile here. */
  cpuProfileDir: string | undefined;
}

const DEFAULTS = { rounds: 5, durationSeconds: 3, warmupSeconds: 1, hotKeys: 1_000, keys: 10_000, concurrency: 32, poolSize: 8 };
const QUICK = { rounds: 1, durationSeconds: 1, warmupSeconds: 0.5 };
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Warm entries must outlive warm-up and measurement, with room for filling the cache first. */
const MAX_WARM_SECONDS = WARM_CACHE_TTL_MS / 1000 - 10;

export const USAGE = `Usage: npm run bench:apikeys  (from the repo root)
       npm run bench:apikeys -w @portcullis/bench -- [flags]

Flags (env):
  --rounds N         (BENCH_ROUNDS)       interleaved rounds, default ${DEFAULTS.rounds}
  --duration S       (BENCH_DURATION)     measured seconds per scenario per round, default ${DEFAULTS.durationSeconds}
  --warmup S         (BENCH_WARMUP)       unmeasured seconds before each measurement, default ${DEFAULTS.warmupSeconds}
  --scenarios a,b    (BENCH_SCENARIOS)    subset of: ${SCENARIO_IDS.join(', ')}
  --hot-keys N       (BENCH_HOT_KEYS)     cached keys in the warm scenarios, default ${DEFAULTS.hotKeys}
  --keys N           (BENCH_KEYS)         valid keys stored and cycled through cold, default ${DEFAULTS.keys}
  --concurrency N    (BENCH_CONCURRENCY)  verifications in flight against PostgreSQL, default ${DEFAULTS.concurrency}
  --pool N           (BENCH_PG_POOL)      pg.Pool size, default ${DEFAULTS.poolSize}
  --database-url URL (DATABASE_URL)       PostgreSQL, default ${DEFAULT_DATABASE_URL}
  --quick            (BENCH_QUICK=1)      smoke run: ${QUICK.rounds} round of ${QUICK.durationSeconds} s, ${QUICK.warmupSeconds} s warm-up
  --cpu-prof DIR     (BENCH_CPU_PROF)     write a V8 CPU profile of every measuring process into DIR
`;

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): ApiKeyBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      scenarios: { type: 'string' },
      'hot-keys': { type: 'string' },
      keys: { type: 'string' },
      concurrency: { type: 'string' },
      pool: { type: 'string' },
      'database-url': { type: 'string' },
      quick: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';

  const quick = values.quick === true || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  const scenarios = list(values.scenarios ?? env.BENCH_SCENARIOS);
  const unknown = scenarios.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new RangeError(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIO_IDS.join(', ')}`);

  const options: ApiKeyBenchOptions = {
    quick,
    rounds: positiveNumber(values.rounds ?? env.BENCH_ROUNDS, 'rounds', true) ?? base.rounds,
    durationSeconds: positiveNumber(values.duration ?? env.BENCH_DURATION, 'duration', false) ?? base.durationSeconds,
    warmupSeconds: positiveNumber(values.warmup ?? env.BENCH_WARMUP, 'warmup', false) ?? base.warmupSeconds,
    scenarios: SCENARIO_IDS.filter((id) => scenarios.includes(id)),
    hotKeys: positiveNumber(values['hot-keys'] ?? env.BENCH_HOT_KEYS, 'hot-keys', true) ?? base.hotKeys,
    keys: positiveNumber(values.keys ?? env.BENCH_KEYS, 'keys', true) ?? base.keys,
    concurrency: positiveNumber(values.concurrency ?? env.BENCH_CONCURRENCY, 'concurrency', true) ?? base.concurrency,
    poolSize: positiveNumber(values.pool ?? env.BENCH_PG_POOL, 'pool', true) ?? base.poolSize,
    databaseUrl: values['database-url'] ?? (env.DATABASE_URL || DEFAULT_DATABASE_URL),
    cpuProfileDir: values['cpu-prof'] ?? (env.BENCH_CPU_PROF || undefined),
  };
  if (options.warmupSeconds + options.durationSeconds > MAX_WARM_SECONDS) {
    throw new RangeError(`warm-up + duration must stay under ${MAX_WARM_SECONDS} s: warm entries live ${WARM_CACHE_TTL_MS / 1000} s, the verifier's maximum`);
  }
  if (options.hotKeys < 3 || options.hotKeys > options.keys) throw new RangeError('hot-keys must be from 3 to keys');
  // Keys in flight must all differ, or the verifier would share one lookup between them.
  if (options.keys < 2 * options.concurrency) throw new RangeError('keys must be at least twice the concurrency');
  return options;
}
