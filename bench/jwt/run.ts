/**
 * JWT verifications per second, side by side: Portcullis's access-token verifier against
 * jsonwebtoken, jose and fast-jwt, for HS256 and EdDSA, on one token signed once per run. Checks
 * that every contender accepts that token and refuses tampered ones, then measures each in its
 * own fresh, pinned process, in interleaved rounds whose order rotates, and reports medians,
 * per-CPU-second figures and ratios to the fastest peer.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAccessTokenKeys, signAccessToken } from 'portcullis/auth';
import { LOAD_CPU, detectPinning, pinned, type Pinning } from '../lib/pinning.ts';
import { AUDIENCE, CONTENDERS, ISSUER, KID, SUBJECT, type Algorithm, type Contender } from './contenders.ts';
import { USAGE, readOptions, type JwtBenchOptions } from './options.ts';
import { RESULT_MARKER, type Fixture, type MeasureRequest, type MeasureResult } from './protocol.ts';
import { describeMachine, loadAverage, printReport, settingsLine, writeReport, type JwtReport } from './report.ts';
import { summarise, type RoundResult } from './stats.ts';

const MEASURE_SCRIPT = fileURLToPath(new URL('../dist/jwt/measure.js', import.meta.url));
/** Rough per-measurement overhead for the time estimate: process start, imports, the check. */
const OVERHEAD_SECONDS = 0.5;
const STDERR_KEPT_CHARS = 4_000;
/** The token outlives any run (the longest lifetime the signer allows). */
const TOKEN_TTL_SECONDS = 86_400;

function parseOptionsOrExit(): JwtBenchOptions {
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

/** Keys and tokens for one algorithm, all made with Portcullis's own signer. */
function makeFixture(algorithm: Algorithm): Fixture {
  let key: string | Buffer;
  let otherKey: string | Buffer;
  let secretHex: string | null = null;
  let privateKeyPem: string | null = null;
  let publicKeyPem: string | null = null;
  if (algorithm === 'HS256') {
    key = randomBytes(32);
    otherKey = randomBytes(32);
    secretHex = key.toString('hex');
  } else {
    const pair = generateKeyPairSync('ed25519');
    privateKeyPem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    publicKeyPem = pair.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    key = privateKeyPem;
    otherKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }
  const ring = createAccessTokenKeys({ current: { kid: KID, algorithm, key } });
  const otherRing = createAccessTokenKeys({ current: { kid: KID, algorithm, key: otherKey } });
  const subject = { sub: SUBJECT, role: 'member' };
  const options = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TOKEN_TTL_SECONDS };
  const twoDaysAgo = Date.now() - 2 * 86_400_000;
  return {
    algorithm,
    secretHex,
    privateKeyPem,
    publicKeyPem,
    token: signAccessToken(ring, subject, options).token,
    foreignKeyToken: signAccessToken(otherRing, subject, options).token,
    expiredToken: signAccessToken(ring, subject, { ...options, ttlSeconds: 3600, now: () => twoDaysAgo }).token,
    wrongAudienceToken: signAccessToken(ring, subject, { ...options, audience: 'https://other.example.com' }).token,
  };
}

interface WorkerLaunch {
  pinning: Pinning;
  cpuProfileDir: string | undefined;
}

/** Runs measure.js once, pinned, and returns its RESULT line. */
async function runWorker(request: MeasureRequest, launch: WorkerLaunch, label: string): Promise<MeasureResult> {
  const nodeArgs: string[] = [];
  if (launch.cpuProfileDir !== undefined && request.mode === 'measure') {
    mkdirSync(launch.cpuProfileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${launch.cpuProfileDir}`, `--cpu-prof-name=${label.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
  }
  const [command, args] = pinned(launch.pinning, LOAD_CPU, process.execPath, [...nodeArgs, MEASURE_SCRIPT, JSON.stringify(request)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS)));
  const timer = setTimeout(() => child.kill('SIGKILL'), request.warmupMs + request.durationMs + 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`${label}: measuring process exited with ${code}${stderr.trim() === '' ? '' : `\n--- its stderr ---\n${stderr.trim()}`}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as MeasureResult;
}

/** Round r starts with the item at index r, so every contender takes every slot in turn. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

interface Plan {
  algorithm: Algorithm;
  fixture: Fixture;
  contenders: Contender[];
}

function requestFor(options: JwtBenchOptions, plan: Plan, contender: Contender, mode: MeasureRequest['mode']): MeasureRequest {
  return { mode, contender: contender.id, fixture: plan.fixture, warmupMs: options.warmupSeconds * 1000, durationMs: options.durationSeconds * 1000 };
}

async function measureRounds(options: JwtBenchOptions, plans: readonly Plan[], launch: WorkerLaunch, rounds: RoundResult[]): Promise<void> {
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`\nRound ${round}/${options.rounds} (load average ${loadAverage()})`);
    for (const plan of rotate(plans, round - 1)) {
      for (const [index, contender] of rotate(plan.contenders, round - 1).entries()) {
        const label = `r${round} ${plan.algorithm} ${contender.id}`;
        const result = await runWorker(requestFor(options, plan, contender, 'measure'), launch, label);
        if (result.problems.length > 0) throw new Error(`${label}: the check failed before measuring: ${result.problems.join('; ')}`);
        const row: RoundResult = {
          round,
          slot: index + 1,
          algorithm: plan.algorithm,
          contender: contender.id,
          verificationsPerSecond: result.verifications / result.seconds,
          verificationsPerCpuSecond: result.verifications / result.cpuSeconds,
          cpuShare: result.cpuSeconds / result.seconds,
          result,
        };
        rounds.push(row);
        console.log(
          `  ${plan.algorithm.padEnd(6)} ${contender.id.padEnd(28)} ${Math.round(row.verificationsPerSecond).toLocaleString('en-US').padStart(10)} verifications/s  ${Math.round(row.verificationsPerCpuSecond).toLocaleString('en-US').padStart(10)} per CPU-s  cpu ${Math.round(row.cpuShare * 100)}%`,
        );
      }
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptionsOrExit();
  const loadAtStart = loadAverage();
  const pinning = detectPinning();
  const pinningNote = pinning.enabled ? `pinned to cpu ${LOAD_CPU} (taskset -c ${LOAD_CPU})` : `unpinned (${pinning.reason})`;
  if (!pinning.enabled) console.warn(`WARNING: running unpinned: ${pinning.reason}. Figures will be noisier.`);

  const skipped: JwtReport['skipped'] = [];
  const plans: Plan[] = options.algorithms.map((algorithm) => {
    const contenders = CONTENDERS.filter((contender) => {
      if (options.contenders.length > 0 && !options.contenders.includes(contender.id)) return false;
      if (!contender.algorithms.includes(algorithm)) {
        skipped.push({ contender: `${contender.id} ${algorithm}`, reason: `${contender.library} does not implement ${algorithm}` });
        return false;
      }
      return true;
    });
    return { algorithm, fixture: makeFixture(algorithm), contenders };
  });

  const launch: WorkerLaunch = { pinning, cpuProfileDir: options.cpuProfileDir };
  const perRound = plans.reduce((sum, plan) => sum + plan.contenders.length * (options.warmupSeconds + options.durationSeconds + OVERHEAD_SECONDS), 0);
  console.log(`Portcullis JWT verification bench${options.quick ? ' (quick mode)' : ''}: ${plans.map((plan) => `${plan.algorithm} x ${plan.contenders.length}`).join(', ')}`);
  console.log(`Node ${process.version}; measuring process ${pinningNote}`);
  console.log(`${settingsLine(options)}; about ${Math.ceil((perRound * options.rounds) / 60)} min.`);
  for (const { contender, reason } of skipped) console.log(`NOT MEASURED: ${contender}: ${reason}`);

  console.log('\nPreflight (accept the token; refuse a flipped signature bit, a changed payload, alg none, another key, and (all but the signature-only floor) an expired token and another audience):');
  const failures: string[] = [];
  for (const plan of plans) {
    for (const contender of plan.contenders) {
      let problems: string[];
      try {
        problems = (await runWorker(requestFor(options, plan, contender, 'check'), launch, `check ${plan.algorithm} ${contender.id}`)).problems;
      } catch (error) {
        problems = [(error as Error).message];
      }
      console.log(`  ${plan.algorithm.padEnd(6)} ${contender.id.padEnd(28)} ${problems.length === 0 ? 'ok' : 'FAILED'}`);
      failures.push(...problems.map((problem) => `${plan.algorithm} ${contender.id}: ${problem}`));
    }
  }
  if (failures.length > 0) {
    console.error(`\nAborting: not every contender verifies as configured, so nothing was measured.\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    process.exit(1);
  }

  const rounds: RoundResult[] = [];
  await measureRounds(options, plans, launch, rounds);

  const report: JwtReport = {
    machine: describeMachine(pinningNote, loadAtStart),
    options,
    skipped,
    algorithms: plans.map((plan) => ({
      algorithm: plan.algorithm,
      tokenLength: plan.fixture.token.length,
      summary: summarise(
        plan.algorithm,
        plan.contenders.map((contender) => contender.id),
        rounds,
      ),
    })),
    rounds,
  };
  printReport(report);
  // Only a complete, unprofiled run may replace jwt-latest.*, the figures the README quotes.
  const complete = options.contenders.length === 0 && options.algorithms.length === 2 && options.cpuProfileDir === undefined;
  const written = writeReport(report, options.quick ? 'quick' : complete ? 'latest' : 'partial');
  console.log(`\nWritten: ${written.join(', ')}`);
  if (options.cpuProfileDir !== undefined) console.log(`CPU profiles: ${options.cpuProfileDir}`);
}

await main();
