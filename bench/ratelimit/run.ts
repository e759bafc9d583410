/**
 * Rate limiter decisions per second, side by side: Portcullis (each algorithm, in memory and in
 * Redis) against rate-limiter-flexible, @fastify/rate-limit's stores and express-rate-limit's
 * stores. Checks that every contender really limits, then measures each one in its own pinned
 * process, in interleaved rounds whose order rotates, and reports medians and ratios to the
 * fastest peer of each scenario.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { LOAD_CPU, detectPinning, pinned, type Pinning } from '../lib/pinning.ts';
import { CONTENDERS, allScenarios, contenderRuns, scenarioId, type Contender, type Scenario } from './contenders.ts';
import { findCreateRedisLimiter } from './limiters.ts';
import { USAGE, readOptions, type RateLimitBenchOptions } from './options.ts';
import { RESULT_MARKER, type CheckResult, type MeasureRequest, type MeasureResult } from './protocol.ts';
import { deleteUnder, localServerPid, type NodeRedisClient } from './redis-tools.ts';
import { describeMachine, loadAverage, printReport, settingsLine, writeReport, type RateLimitReport, type RedisServerNotes } from './report.ts';
import { summarise, type RoundResult } from './stats.ts';

const MEASURE_SCRIPT = fileURLToPath(new URL('../dist/ratelimit/measure.js', import.meta.url));
/** Decisions counted under MONITOR per Redis measurement (MONITOR slows the server, so it is kept short). */
const MONITOR_DECISIONS = 2_000;
/** Rough per-measurement overhead for the time estimate: process start, connections, MONITOR, clean-up. */
const OVERHEAD_SECONDS = { memory: 0.4, redis: 1.2 };
const STDERR_KEPT_CHARS = 4_000;

function parseOptionsOrExit(): RateLimitBenchOptions {
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

interface WorkerLaunch {
  pinning: Pinning;
  cpuProfileDir: string | undefined;
}

/** Runs measure.js once, pinned, and returns its RESULT line. */
async function runWorker<T>(request: MeasureRequest, launch: WorkerLaunch, label: string): Promise<T> {
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
  const timeoutMs = request.warmupMs + request.durationMs + 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`${label}: measuring process exited with ${code}${stderr.trim() === '' ? '' : `\n--- its stderr ---\n${stderr.trim()}`}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

/** Round r starts with the item at index r, so every contender takes every slot in turn. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function connectControl(url: string): Promise<NodeRedisClient | string> {
  const client = createClient({ url, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  let lastError = '';
  client.on('error', (error: Error) => (lastError = error.message));
  try {
    await client.connect();
    return client;
  } catch (error) {
    return `cannot connect to ${url}: ${(error as Error).message || lastError}`;
  }
}

async function redisNotes(control: NodeRedisClient): Promise<RedisServerNotes> {
  const server = String(await control.sendCommand(['INFO', 'server']));
  const clients = String(await control.sendCommand(['INFO', 'clients']));
  const pid = await localServerPid(control);
  const taskset = pid === undefined ? undefined : spawnSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' });
  const affinity = taskset?.status === 0 ? `affinity list ${taskset.stdout.trim().split(': ').pop()}` : 'affinity unknown';
  return {
    version: /^redis_version:(\S+)/m.exec(server)?.[1] ?? 'unknown',
    pid,
    affinity,
    connectedClientsAtStart: Number(/^connected_clients:(\d+)/m.exec(clients)?.[1] ?? Number.NaN),
  };
}

interface Cell {
  scenario: Scenario;
  contender: Contender;
}

function requestFor(options: RateLimitBenchOptions, cell: Cell, mode: MeasureRequest['mode'], prefix: string): MeasureRequest {
  return {
    mode,
    contender: cell.contender.id,
    workload: cell.scenario.workload,
    keys: cell.scenario.keys,
    manyKeys: options.manyKeys,
    warmupMs: options.warmupSeconds * 1000,
    durationMs: options.durationSeconds * 1000,
    concurrency: options.concurrency,
    redisUrl: options.redisUrl,
    prefix,
    monitorDecisions: MONITOR_DECISIONS,
  };
}

interface ScenarioPlan {
  scenario: Scenario;
  contenders: Contender[];
}

async function measureRounds(options: RateLimitBenchOptions, scenarios: readonly ScenarioPlan[], launch: WorkerLaunch, nextPrefix: () => string, rounds: RoundResult[]): Promise<void> {
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`\nRound ${round}/${options.rounds} (load average ${loadAverage()})`);
    for (const { scenario, contenders } of rotate(scenarios, round - 1)) {
      const id = scenarioId(scenario);
      for (const [index, contender] of rotate(contenders, round - 1).entries()) {
        const label = `r${round} ${id} ${contender.id}`;
        const result = await runWorker<MeasureResult>(requestFor(options, { scenario, contender }, 'measure', nextPrefix()), launch, label);
        const row: RoundResult = {
          round,
          slot: index + 1,
          scenario: id,
          contender: contender.id,
          decisionsPerSecond: result.decisions / result.seconds,
          decisionsPerCpuSecond: result.decisions / result.clientCpuSeconds,
          admittedShare: result.admitted / result.decisions,
          clientCpuShare: result.clientCpuSeconds / result.seconds,
          redisCpuShare: result.redis?.serverCpuSeconds == null ? null : result.redis.serverCpuSeconds / result.seconds,
          result,
        };
        rounds.push(row);
        const errors = result.errors > 0 ? `  ${result.errors} ERRORS (${result.firstError})` : '';
        console.log(
          `  ${id.padEnd(26)} ${contender.id.padEnd(34)} ${Math.round(row.decisionsPerSecond).toLocaleString('en-US').padStart(11)} decisions/s  admitted ${(row.admittedShare * 100).toFixed(1).padStart(5)}%  cpu ${Math.round(row.clientCpuShare * 100)}%${row.redisCpuShare === null ? '' : ` redis ${Math.round(row.redisCpuShare * 100)}%`}${errors}`,
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

  const skipped: RateLimitReport['skipped'] = [];
  let suites = options.suites;
  let control: NodeRedisClient | undefined;
  let notes: RedisServerNotes | null = null;
  if (suites.includes('redis')) {
    const connected = await connectControl(options.redisUrl);
    if (typeof connected === 'string') {
      console.warn(`WARNING: Redis suite skipped: ${connected}`);
      skipped.push({ contender: 'redis suite', reason: connected });
      suites = suites.filter((suite) => suite !== 'redis');
    } else {
      control = connected;
      notes = await redisNotes(control);
    }
  }
  const portcullisRedis = suites.includes('redis') && (await findCreateRedisLimiter()) !== undefined;

  const runId = randomBytes(4).toString('hex');
  const runPrefix = `pcbench:${runId}:`;
  let sequence = 0;
  const nextPrefix = (): string => `${runPrefix}${(sequence += 1)}`;
  const cleanUp = async (): Promise<number> => (control === undefined ? 0 : deleteUnder(control, runPrefix));
  process.once('SIGINT', () => {
    void cleanUp().finally(() => process.exit(130));
  });

  const selected = CONTENDERS.filter((contender) => {
    if (!suites.includes(contender.suite)) return false;
    if (options.contenders.length > 0 && !options.contenders.includes(contender.id)) return false;
    if (contender.suite === 'redis' && contender.library === 'portcullis' && !portcullisRedis) {
      skipped.push({
        contender: contender.id,
        reason: 'portcullis/ratelimit does not export createRedisLimiter yet; this contender is enabled automatically once it does (npm run bench:ratelimit rebuilds the library first)',
      });
      return false;
    }
    return true;
  });
  const scenarios: ScenarioPlan[] = allScenarios(suites)
    .map((scenario) => ({ scenario, contenders: selected.filter((contender) => contender.suite === scenario.suite && contenderRuns(contender, scenario.workload)) }))
    .filter(({ contenders }) => contenders.length > 0);

  const launch: WorkerLaunch = { pinning, cpuProfileDir: options.cpuProfileDir };
  const perRoundSeconds = scenarios.reduce(
    (sum, { scenario, contenders }) => sum + contenders.length * (options.warmupSeconds + options.durationSeconds + OVERHEAD_SECONDS[scenario.suite]),
    0,
  );
  console.log(`Portcullis rate limiter bench${options.quick ? ' (quick mode)' : ''}: ${scenarios.length} scenarios, ${selected.length} contenders`);
  console.log(`Node ${process.version}; measuring process ${pinningNote}${notes === null ? '' : `; Redis ${notes.version} at ${options.redisUrl} (${notes.affinity})`}`);
  console.log(`${settingsLine(options)}; about ${Math.ceil((perRoundSeconds * options.rounds) / 60)} min.`);
  for (const { contender, reason } of skipped) console.log(`NOT MEASURED: ${contender}: ${reason}`);

  console.log('\nPreflight (limit 3 per minute: admit, admit, admit, refuse; Redis contenders must write under their own prefix):');
  const failures: string[] = [];
  for (const contender of selected) {
    const cell: Cell = { scenario: { suite: contender.suite, workload: 'over-limit', keys: 'hot' }, contender };
    let problems: string[];
    try {
      problems = (await runWorker<CheckResult>(requestFor(options, cell, 'check', nextPrefix()), launch, `check ${contender.id}`)).problems;
    } catch (error) {
      problems = [(error as Error).message];
    }
    console.log(`  ${contender.id.padEnd(34)} ${problems.length === 0 ? 'ok' : 'FAILED'}`);
    failures.push(...problems.map((problem) => `${contender.id}: ${problem}`));
  }
  if (failures.length > 0) {
    await cleanUp();
    console.error(`\nAborting: not every contender limits as configured, so nothing was measured.\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    console.error('\nLeave a contender out with BENCH_CONTENDERS / --contenders (see --help).');
    process.exit(1);
  }

  const rounds: RoundResult[] = [];
  try {
    await measureRounds(options, scenarios, launch, nextPrefix, rounds);
  } finally {
    const left = await cleanUp();
    if (left > 0) console.log(`\nDeleted ${left} leftover key(s) under ${runPrefix}`);
    await control?.close();
  }

  const report: RateLimitReport = {
    machine: describeMachine(pinningNote, notes, loadAtStart),
    options,
    skipped,
    scenarios: scenarios.map(({ scenario, contenders }) => ({
      id: scenarioId(scenario),
      scenario,
      summary: summarise(
        scenario,
        contenders.map((contender) => contender.id),
        rounds,
      ),
    })),
    rounds,
  };
  printReport(report);
  // Only a complete, unprofiled run may replace ratelimit-latest.*, the figures the README quotes.
  const complete = options.contenders.length === 0 && options.suites.length === 2 && options.cpuProfileDir === undefined;
  const written = writeReport(report, options.quick ? 'quick' : complete ? 'latest' : 'partial');
  console.log(`\nWritten: ${written.join(', ')}`);
  if (options.cpuProfileDir !== undefined) console.log(`CPU profiles: ${options.cpuProfileDir}`);
}

await main();
