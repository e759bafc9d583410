/**
 * Side-by-side benchmark: checks that every variant answers the order route correctly, then
 * measures them in interleaved rounds (rotating the order each round so drift on a noisy machine
 * is spread over all of them) and reports medians and ratios to bare Fastify.
 */
import { randomBytes } from 'node:crypto';
import { processCpuSeconds } from './lib/cpu-time.ts';
import { newApiKey } from 'portcullis/auth';
import { SECRET_BYTES, mintToken } from './lib/fixture.ts';
import { USAGE, readOptions, type BenchOptions } from './lib/options.ts';
import { detectPinning, type Pinning } from './lib/pinning.ts';
import { checkVariant } from './lib/preflight.ts';
import { describeMachine, printReport, writeReport } from './lib/report.ts';
import { startServer, type ServerLaunch } from './lib/server-process.ts';
import { failures, summarise, toRoundResult, type RoundResult } from './lib/stats.ts';
import { VARIANTS, type Variant } from './lib/variants.ts';
import { WRK_INSTALL_HINT, runWrk, wrkVersion } from './lib/wrk.ts';

/** Rough per-measurement overhead for the time estimate: server start-up and shutdown. */
const START_STOP_SECONDS = 2;

function parseOptionsOrExit(): BenchOptions {
  try {
    const options = readOptions(process.argv.slice(2), process.env);
    if (options === 'help') {
      console.log(USAGE);
      process.exit(0);
    }
    return options;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/** The bearer credential a variant is sent, and one it must refuse. */
interface Credentials {
  readonly jwt: { readonly token: string; readonly forged: string };
  readonly apiKey: { readonly token: string; readonly forged: string };
}

const credentialOf = (variant: Variant, credentials: Credentials) => (variant.credential === 'api-key' ? credentials.apiKey : credentials.jwt);

async function preflight(variants: readonly Variant[], launch: ServerLaunch, credentials: Credentials): Promise<void> {
  const failures: string[] = [];
  for (const variant of variants) {
    let problems: string[];
    try {
      const server = await startServer(variant, launch);
      try {
        const { token, forged } = credentialOf(variant, credentials);
        problems = await checkVariant(variant, server.port, token, forged);
      } finally {
        await server.stop();
      }
    } catch (error) {
      problems = [(error as Error).message];
    }
    console.log(`  ${variant.name.padEnd(16)} ${problems.length === 0 ? 'ok' : 'FAILED'}`);
    failures.push(...problems.map((problem) => `${variant.name}: ${problem}`));
  }
  if (failures.length > 0) {
    console.error(`\nAborting: not every variant answers the benchmark request correctly, so nothing was measured.\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    console.error('\nFix the variant, or leave it out with BENCH_VARIANTS / --variants (see --help).');
    process.exit(1);
  }
}

/** Round r starts with the variant at index r, so every variant takes every slot in turn. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function measure(variant: Variant, round: number, slot: number, launch: ServerLaunch, pinning: Pinning, options: BenchOptions, token: string): Promise<RoundResult> {
  const server = await startServer(variant, launch);
  try {
    const load = { pinning, port: server.port, connections: options.connections, token };
    // Warm-up lets V8 optimise the hot path and every connection get established before we count.
    await runWrk({ ...load, seconds: options.warmupSeconds });
    const cpuBefore = processCpuSeconds(server.pid);
    const wrk = await runWrk({ ...load, seconds: options.durationSeconds });
    const cpuAfter = processCpuSeconds(server.pid);
    const serverCpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return toRoundResult({ round, slot, variant: variant.name, wrk, serverCpuSeconds });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptionsOrExit();
  const wrk = wrkVersion();
  if (wrk === undefined) {
    console.error(WRK_INSTALL_HINT);
    process.exit(1);
  }
  const pinning = detectPinning();
  if (!pinning.enabled) console.warn(`WARNING: running unpinned: ${pinning.reason}. Figures will be noisier.`);

  // A fresh secret per run; the forged token proves the JWT variants really verify signatures.
  const secret = randomBytes(SECRET_BYTES);
  // The API key is minted here and handed to the server; the forged one is well formed but unknown to it.
  const credentials: Credentials = {
    jwt: { token: mintToken(secret), forged: mintToken(randomBytes(SECRET_BYTES)) },
    apiKey: { token: newApiKey('live').key, forged: newApiKey('live').key },
  };
  const variants = VARIANTS.filter((variant) => options.variants.includes(variant.name));
  const launch: ServerLaunch = { pinning, secretHex: secret.toString('hex'), apiKey: credentials.apiKey.token, cpuProfileDir: undefined };

  const estimate = options.rounds * variants.length * (options.warmupSeconds + options.durationSeconds + START_STOP_SECONDS);
  console.log(`Portcullis bench${options.quick ? ' (quick mode)' : ''}: ${variants.map((variant) => variant.name).join(', ')}`);
  console.log(`Node ${process.version}, ${wrk}; about ${Math.ceil(estimate / 60)} min.\n\nPreflight (each variant must answer correctly):`);
  await preflight(variants, launch, credentials);

  const measureLaunch: ServerLaunch = { ...launch, cpuProfileDir: options.cpuProfileDir };
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`\nRound ${round}/${options.rounds}`);
    const order = rotate(variants, round - 1);
    for (const [index, variant] of order.entries()) {
      const result = await measure(variant, round, index + 1, measureLaunch, pinning, options, credentialOf(variant, credentials).token);
      rounds.push(result);
      const failed = failures(result.wrk);
      const share = result.serverCpuShare === null ? '' : `  server cpu ${Math.round(result.serverCpuShare * 100)}%`;
      console.log(`  ${variant.name.padEnd(16)} ${Math.round(result.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  p99 ${result.p99Ms.toFixed(2).padStart(7)} ms${share}${failed > 0 ? `  (${failed} failures!)` : ''}`);
    }
  }

  const report = {
    machine: describeMachine(wrk, pinning),
    options,
    summary: summarise(options.variants, rounds),
    rounds,
  };
  printReport(report);
  // Only a complete, unprofiled run may replace latest.*, the figures the README quotes.
  const complete = options.variants.length === VARIANTS.length && options.cpuProfileDir === undefined;
  const written = writeReport(report, options.quick ? 'quick' : complete ? 'latest' : 'partial');
  console.log(`\nWritten: ${written.join(', ')}`);
}

await main();
