/**
 * Run settings from flags, then environment, then defaults. Environment variables exist because
 * the root `npm run bench` cannot forward flags through its nested `npm run -w`.
 */
import { parseArgs } from 'node:util';
import { BASELINE, VARIANT_NAMES, isVariantName, type VariantName } from './variants.ts';

export interface BenchOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  quick: boolean;
  variants: VariantName[];
  /** When set, servers run with --cpu-prof and write their profiles under this directory. */
  cpuProfileDir: string | undefined;
}

const DEFAULTS = { rounds: 5, durationSeconds: 10, warmupSeconds: 2, connections: 50 };
const QUICK = { rounds: 1, durationSeconds: 3, warmupSeconds: 1 };

export const USAGE = `Usage: npm run bench  (from the repo root)
       npm run bench -w @portcullis/bench -- [flags]

Flags (env):
  --rounds N        (BENCH_ROUNDS)       interleaved rounds, default ${DEFAULTS.rounds}
  --duration S      (BENCH_DURATION)     measured seconds per variant per round, default ${DEFAULTS.durationSeconds}
  --warmup S        (BENCH_WARMUP)       unmeasured seconds before each measurement, default ${DEFAULTS.warmupSeconds}
  --connections N   (BENCH_CONNECTIONS)  concurrent keep-alive connections, default ${DEFAULTS.connections}
  --quick           (BENCH_QUICK=1)      smoke run: ${QUICK.rounds} round of ${QUICK.durationSeconds} s, ${QUICK.warmupSeconds} s warm-up
  --variants a,b    (BENCH_VARIANTS)     subset of ${VARIANT_NAMES.join(', ')} (${BASELINE} is always kept)
  --cpu-prof DIR    (BENCH_CPU_PROF)     write a V8 CPU profile of every server run into DIR
`;

function positiveInteger(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function parseVariants(raw: string | undefined): VariantName[] {
  if (raw === undefined || raw === '') return [...VARIANT_NAMES];
  const wanted = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = wanted.filter((name) => !isVariantName(name));
  if (unknown.length > 0) {
    throw new RangeError(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANT_NAMES.join(', ')}`);
  }
  // Ratios need the baseline, so it is always measured.
  return VARIANT_NAMES.filter((name) => name === BASELINE || wanted.includes(name));
}

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      quick: { type: 'boolean' },
      variants: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';

  const quick = values.quick === true || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const base = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  return {
    quick,
    rounds: positiveInteger(values.rounds ?? env.BENCH_ROUNDS, 'rounds') ?? base.rounds,
    durationSeconds: positiveInteger(values.duration ?? env.BENCH_DURATION, 'duration') ?? base.durationSeconds,
    warmupSeconds: positiveInteger(values.warmup ?? env.BENCH_WARMUP, 'warmup') ?? base.warmupSeconds,
    connections: positiveInteger(values.connections ?? env.BENCH_CONNECTIONS, 'connections') ?? base.connections,
    variants: parseVariants(values.variants ?? env.BENCH_VARIANTS),
    cpuProfileDir: values['cpu-prof'] ?? (env.BENCH_CPU_PROF || undefined),
  };
}
