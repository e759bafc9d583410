/**
 * Run settings of the JWT bench: flags, then environment, then defaults. The environment exists
 * because the root `npm run bench:jwt` cannot forward flags through `npm run -w`.
 */
import { parseArgs } from 'node:util';
import { ALGORITHMS, CONTENDERS, type Algorithm } from './contenders.ts';
import { list, positiveNumber } from '../lib/option-values.ts';

export interface JwtBenchOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  algorithms: Algorithm[];
  /** Contender ids to run; empty means all. */
  contenders: string[];
  quick: boolean;
  /** When set, every measuring process runs with --cpu-prof and writes its profile here. */
  cpuProfileDir: string | undefined;
}

const DEFAULTS = { rounds: 5, durationSeconds: 3, warmupSeconds: 1 };
const QUICK = { rounds: 1, durationSeconds: 1, warmupSeconds: 0.5 };

export const USAGE = `Usage: npm run bench:jwt  (from the repo root)
       npm run bench:jwt -w @portcullis/bench -- [flags]

Flags (env):
  --rounds N         (BENCH_ROUNDS)       interleaved rounds, default ${DEFAULTS.rounds}
  --duration S       (BENCH_DURATION)     measured seconds per contender per round, default ${DEFAULTS.durationSeconds}
  --warmup S         (BENCH_WARMUP)       unmeasured seconds before each measurement, default ${DEFAULTS.warmupSeconds}
  --algorithms a,b   (BENCH_ALGORITHMS)   ${ALGORITHMS.join(', ')} (default both)
  --contenders a,b   (BENCH_CONTENDERS)   subset of: ${CONTENDERS.map((contender) => contender.id).join(', ')}
  --quick            (BENCH_QUICK=1)      smoke run: ${QUICK.rounds} round of ${QUICK.durationSeconds} s, ${QUICK.warmupSeconds} s warm-up
  --cpu-prof DIR     (BENCH_CPU_PROF)     write a V8 CPU profile of every measuring process into DIR
`;

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): JwtBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      algorithms: { type: 'string' },
      contenders: { type: 'string' },
      quick: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';

  const quick = values.quick === true || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;

  const algorithms = list(values.algorithms ?? env.BENCH_ALGORITHMS);
  const unknownAlgorithms = algorithms.filter((algorithm) => !(ALGORITHMS as readonly string[]).includes(algorithm));
  if (unknownAlgorithms.length > 0) throw new RangeError(`unknown algorithm(s) ${unknownAlgorithms.join(', ')}; known: ${ALGORITHMS.join(', ')}`);
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
    algorithms: algorithms.length === 0 ? [...ALGORITHMS] : ALGORITHMS.filter((algorithm) => algorithms.includes(algorithm)),
    contenders,
    cpuProfileDir: values['cpu-prof'] ?? (env.BENCH_CPU_PROF || undefined),
  };
}
