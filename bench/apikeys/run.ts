/**
 * API key verifications per second (issue 5): Portcullis's `createApiKeyVerifier` with a warm
 * cache (synchronous `verifyCached`, and `verify`) against the per-core target, and with the cache
 * off against real SQLite and PostgreSQL lookups by hash. Creates the keys and both stores once,
 * proves every scenario verifies and refuses as it should, then measures each in its own fresh,
 * pinned process, in interleaved rounds whose order rotates, reports medians with the lookup
 * counts that show what was measured, and drops what it created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOAD_CPU, SERVER_CPU, detectPinning, pinned, type Pinning } from '../lib/pinning.ts';
import { makeDataset } from './fixture.ts';
import { USAGE, readOptions, type ApiKeyBenchOptions } from './options.ts';
import { RESULT_MARKER, type Fixture, type MeasureRequest, type MeasureResult, type PostgresTarget } from './protocol.ts';
import { describeMachine, loadAverage, printReport, settingsLine, writeReport, type ApiKeyReport } from './report.ts';
import { SCENARIO_IDS, type ScenarioId } from './scenarios.ts';
import { summarise, type RoundResult } from './stats.ts';
import {
  createPostgresSchema,
  createSqliteDatabase,
  describePostgres,
  dropPostgresSchema,
  probePostgres,
  redactUrl,
  sqliteVersion,
  type PostgresServer,
} from './storage.ts';

const MEASURE_SCRIPT = fileURLToPath(new URL('../dist/apikeys/measure.js', import.meta.url));
/** Rough per-measurement overhead for the time estimate: process start, imports, filling the cache, the checks. */
const OVERHEAD_SECONDS = 1;
const STDERR_KEPT_CHARS = 4_000;
/** The measuring process running now, stopped with the run on SIGINT or SIGTERM. */
let running: ChildProcess | undefined;

function parseOptionsOrExit(): ApiKeyBenchOptions {
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
async function runWorker(request: MeasureRequest, launch: WorkerLaunch, label: string): Promise<MeasureResult> {
  const nodeArgs: string[] = [];
  if (launch.cpuProfileDir !== undefined && request.mode === 'measure') {
    mkdirSync(launch.cpuProfileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${launch.cpuProfileDir}`, `--cpu-prof-name=${label.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
  }
  const [command, args] = pinned(launch.pinning, LOAD_CPU, process.execPath, [...nodeArgs, MEASURE_SCRIPT, JSON.stringify(request)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  running = child;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS)));
  const timer = setTimeout(() => child.kill('SIGKILL'), request.warmupMs + request.durationMs + 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  running = undefined;
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`${label}: measuring process exited with ${code}${stderr.trim() === '' ? '' : `\n--- its stderr ---\n${stderr.trim()}`}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as MeasureResult;
}

/** Round r starts with the item at index r, so every scenario takes every slot in turn. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const databaseCpu = (pinning: Pinning): number | null => (pinning.enabled ? SERVER_CPU : null);

function requestFor(options: ApiKeyBenchOptions, launch: WorkerLaunch, fixturePath: string, scenario: ScenarioId, mode: MeasureRequest['mode']): MeasureRequest {
  return {
    mode,
    scenario,
    fixturePath,
    warmupMs: options.warmupSeconds * 1000,
    durationMs: options.durationSeconds * 1000,
    concurrency: options.concurrency,
    poolSize: options.poolSize,
    databaseCpu: databaseCpu(launch.pinning),
  };
}

function toRoundResult(round: number, slot: number, scenario: ScenarioId, result: MeasureResult): RoundResult {
  const backendCpu = result.database?.backendCpuSeconds ?? null;
  return {
    round,
    slot,
    scenario,
    verificationsPerSecond: result.verifications / result.seconds,
    verificationsPerCpuSecond: result.verifications / result.cpuSeconds,
    cpuShare: result.cpuSeconds / result.seconds,
    databaseMicrosPerVerification: backendCpu === null || result.verifications === 0 ? null : (backendCpu * 1e6) / result.verifications,
    result,
  };
}

async function measureRounds(options: ApiKeyBenchOptions, scenarios: readonly ScenarioId[], fixturePath: string, launch: WorkerLaunch): Promise<RoundResult[]> {
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`\nRound ${round}/${options.rounds} (load average ${loadAverage()})`);
    for (const [index, scenario] of rotate(scenarios, round - 1).entries()) {
      const label = `r${round} ${scenario}`;
      const result = await runWorker(requestFor(options, launch, fixturePath, scenario, 'measure'), launch, label);
      if (result.problems.length > 0) throw new Error(`${label}: the measurement is not valid: ${result.problems.join('; ')}`);
      const row = toRoundResult(round, index + 1, scenario, result);
      rounds.push(row);
      const lookups = scenario === 'hmac-lookup' ? '' : `  lookups ${result.lookups.timed.toLocaleString('en-US')}/${result.verifications.toLocaleString('en-US')}`;
      const database = row.databaseMicrosPerVerification === null ? '' : `  db ${row.databaseMicrosPerVerification.toFixed(1)} us/verification on cpu ${result.database?.backendCpus.join(',')}`;
      console.log(
        `  ${scenario.padEnd(14)} ${Math.round(row.verificationsPerSecond).toLocaleString('en-US').padStart(10)} verifications/s  ${Math.round(row.verificationsPerCpuSecond).toLocaleString('en-US').padStart(10)} per CPU-s  cpu ${Math.round(row.cpuShare * 100)}%${lookups}${database}`,
      );
    }
  }
  return rounds;
}

function databaseNote(postgres: PostgresServer | null, rounds: readonly RoundResult[]): string {
  const sqlite = 'SQLite runs inside the measuring process, on its core.';
  if (postgres === null) return `PostgreSQL: not measured. ${sqlite}`;
  const measured = rounds.flatMap((row) => (row.result.database === null ? [] : [row.result.database]));
  const pinnings = [...new Set(measured.map((database) => database.pinning))];
  const seen = [...new Set(measured.flatMap((database) => database.backendCpus))].sort((a, b) => a - b);
  const allowed = postgres.backendCpusAllowed === null ? 'not visible from here' : `cpus ${postgres.backendCpusAllowed}`;
  const allPinned = measured.length > 0 && measured.every((database) => database.pinnedTo === SERVER_CPU);
  const outcome = allPinned ? `so the database server used the other core, cpu ${SERVER_CPU}` : 'so where the database server ran was up to the scheduler';
  return (
    `PostgreSQL ${postgres.version} on this machine (its processes may run on ${allowed}); the measuring process ran on cpu ${LOAD_CPU} and the ` +
    `backends serving its pool were ${pinnings.join('; ') || 'not measured'}, ${outcome}; ` +
    `after each measurement they were last seen on cpu ${seen.length === 0 ? '?' : seen.join(',')}. ${sqlite}`
  );
}

async function main(): Promise<void> {
  const options = parseOptionsOrExit();
  const loadAtStart = loadAverage();
  const pinning = detectPinning();
  const pinningNote = pinning.enabled ? `pinned to cpu ${LOAD_CPU} (taskset -c ${LOAD_CPU})` : `unpinned (${pinning.reason})`;
  if (!pinning.enabled) console.warn(`WARNING: running unpinned: ${pinning.reason}. Figures will be noisier.`);
  const wanted: ScenarioId[] = options.scenarios.length === 0 ? [...SCENARIO_IDS] : options.scenarios;

  const workDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-apikeys-'));
  let postgresTarget: PostgresTarget | null = null;
  let cleaned: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaned ??= (async () => {
      if (postgresTarget !== null) {
        try {
          await dropPostgresSchema(postgresTarget);
          console.log(`Dropped PostgreSQL schema ${postgresTarget.schema}.`);
        } catch (error) {
          console.error(`WARNING: could not drop PostgreSQL schema ${postgresTarget.schema}: ${(error as Error).message}`);
        }
      }
      rmSync(workDir, { recursive: true, force: true });
    })());
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      running?.kill('SIGKILL');
      void cleanUp().finally(() => process.exit(code));
    });
  }

  try {
    const skipped: ApiKeyReport['skipped'] = [];
    console.log(`Creating ${options.keys.toLocaleString('en-US')} API keys (plus the ones that must be refused) with newApiKey + hashApiKey...`);
    const dataset = makeDataset(options.keys, options.hotKeys);
    const sqlitePath = join(workDir, 'apikeys.sqlite');
    createSqliteDatabase(sqlitePath, dataset.keys, dataset.secrets);

    let postgres: PostgresServer | null = null;
    if (wanted.includes('cold-postgres')) {
      const unreachable = await probePostgres(options.databaseUrl);
      if (unreachable !== null) {
        const reason = `PostgreSQL at ${redactUrl(options.databaseUrl)} is unreachable (${unreachable}); set DATABASE_URL or --database-url`;
        skipped.push({ scenario: 'cold-postgres', reason });
        console.warn(`\n${'!'.repeat(100)}\nNOT MEASURED: cold-postgres: ${reason}\n${'!'.repeat(100)}\n`);
      } else {
        const target: PostgresTarget = { url: options.databaseUrl, schema: `bench_apikeys_${process.pid}_${randomBytes(4).toString('hex')}` };
        postgresTarget = target;
        await createPostgresSchema(target, dataset.keys, dataset.secrets);
        postgres = await describePostgres(target.url);
        console.log(`PostgreSQL ${postgres.version} at ${redactUrl(target.url)}: schema ${target.schema} (dropped at the end).`);
      }
    }
    const fixture: Fixture = { ...dataset.fixture, sqlitePath, postgres: postgresTarget };
    const fixturePath = join(workDir, 'fixture.json');
    writeFileSync(fixturePath, JSON.stringify(fixture), { mode: 0o600 });
    const scenarios = wanted.filter((scenario) => !skipped.some((skip) => skip.scenario === scenario));

    const launch: WorkerLaunch = { pinning, cpuProfileDir: options.cpuProfileDir };
    const perRound = scenarios.length * (options.warmupSeconds + options.durationSeconds + OVERHEAD_SECONDS);
    console.log(`Portcullis API key verification bench${options.quick ? ' (quick mode)' : ''}: ${scenarios.join(', ')}`);
    console.log(`Node ${process.version}; measuring process ${pinningNote}; SQLite ${sqliteVersion(sqlitePath)} (WAL) in ${workDir}`);
    console.log(`${settingsLine(options)}; about ${Math.ceil((perRound * options.rounds) / 60)} min.`);

    console.log('\nPreflight (valid keys come back as stored; malformed, unknown, revoked, expired and past-grace keys are refused with the right code; lookup counts):');
    const failures: string[] = [];
    for (const scenario of scenarios) {
      let problems: string[];
      let passed = 0;
      try {
        const result = await runWorker(requestFor(options, launch, fixturePath, scenario, 'check'), launch, `check ${scenario}`);
        problems = result.problems;
        passed = result.checksPassed;
      } catch (error) {
        problems = [(error as Error).message];
      }
      console.log(`  ${scenario.padEnd(14)} ${problems.length === 0 ? `ok (${passed} checks)` : 'FAILED'}`);
      failures.push(...problems.map((problem) => `${scenario}: ${problem}`));
    }
    if (failures.length > 0) {
      console.error(`\nAborting: not every scenario verifies as it should, so nothing was measured.\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
      process.exitCode = 1;
      return;
    }

    const rounds = await measureRounds(options, scenarios, fixturePath, launch);
    const report: ApiKeyReport = {
      machine: describeMachine({
        pinning: pinningNote,
        databaseNote: databaseNote(postgres, rounds),
        loadAverageAtStart: loadAtStart,
        sqliteVersion: sqliteVersion(sqlitePath),
        postgresVersion: postgres?.version ?? null,
      }),
      options: { ...options, databaseUrl: redactUrl(options.databaseUrl) },
      skipped,
      summary: summarise(scenarios, rounds),
      rounds,
    };
    printReport(report);
    // Only a complete, unprofiled run may replace apikeys-latest.*, the figures the README quotes.
    const complete = scenarios.length === SCENARIO_IDS.length && options.cpuProfileDir === undefined;
    const written = writeReport(report, options.quick ? 'quick' : complete ? 'latest' : 'partial');
    console.log(`\nWritten: ${written.join(', ')}`);
    if (!complete && !options.quick) console.log(`Not every scenario was measured (${SCENARIO_IDS.filter((id) => !scenarios.includes(id)).join(', ') || 'profiling on'}), so apikeys-latest.* was left alone.`);
    if (options.cpuProfileDir !== undefined) console.log(`CPU profiles: ${options.cpuProfileDir}`);
  } finally {
    await cleanUp();
  }
}

await main();
