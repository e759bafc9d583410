/**
 * Instructions per rate-limit decision, counted by valgrind's callgrind: the noise-free companion
 * of `run.ts`, for machines too busy for wall-clock figures. For every scenario of the wall-clock
 * bench it counts, per decision:
 * - memory: the measuring process's instructions (V8's JIT code, GC and Node's C++), and the same
 *   minus the counting loop's own cost (`loop-sync`: the loop around a decision that costs
 *   nothing); a promise API's await stays in its figure, as the wall-clock bench awaits it too;
 * - Redis: the client process's instructions (limiter, Redis client, promises, libuv), the
 *   server's instructions (a private redis-server under callgrind), the commands the server ran
 *   (INFO commandstats), the server time per script call and per decision (INFO commandstats of a
 *   second private redis-server running natively) and the round trips (MONITOR, after the counted
 *   phase).
 * Then it prints every pairing, each Portcullis algorithm against each peer, as the peer's count
 * over ours: at least 1.00x means Portcullis executes no more instructions than that peer.
 *
 *   cd bench && node --import tsx ratelimit/instructions.ts [--suites memory,redis] [--contenders a,b] [--scenarios under-limit/hot,...]
 *
 * It builds the library and the workers first (skip with --no-build), starts its own two
 * redis-servers on free loopback ports (persistence off) and stops them by pid at the end: the
 * Redis the tests share is never used. Time: about 10 min for memory, 25 min for Redis.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { list, positiveNumber } from '../lib/option-values.ts';
import { median } from '../lib/stats.ts';
import { checkValgrind, type Callgrind } from './callgrind.ts';
import type { Contender, Scenario, Suite } from './contenders.ts';
import { LOOP_FLOOR, type CountRequest, type CountTally } from './count-protocol.ts';
import { PrivateRedis } from './private-redis.ts';
import { CommandMonitor, commandStats, countRoundTrips, type CommandCounter } from './redis-tools.ts';
import { WorkerSession } from './worker-session.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OVER_LIMIT_WINDOW_MS = 3_600_000;
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const USAGE = `Usage: cd bench && node --import tsx ratelimit/instructions.ts [flags]

  --suites a,b          memory, redis (default both)
  --contenders a,b      contender ids (default all; the loop floor always runs with memory)
  --scenarios a,b       workload/keys filters, e.g. under-limit/hot (default all four)
  --keys N              distinct keys of the many-keys pattern, default 10000
  --decisions N         counted memory decisions, default 200000 (warm-up as many)
  --redis-decisions N   counted Redis decisions, default 20000 (warm-up as many)
  --concurrency N       Redis decisions in flight, default 64
  --phases N            counted phases per measurement, median kept, default 3
  --keep-dumps DIR      keep every callgrind dump in DIR (inspect with callgrind_annotate)
  --from FILE.json       print the report of a saved run again (results/ratelimit-instructions-*.json)
  --no-build            do not rebuild the library and the workers first
`;

interface Options {
  suites: Suite[];
  contenders: string[];
  scenarios: string[];
  manyKeys: number;
  memoryDecisions: number;
  redisDecisions: number;
  concurrency: number;
  phases: number;
  /** When set, every callgrind dump is kept there (see callgrind_annotate). */
  keepDumps: string | undefined;
  /** Re-render the report of a saved run (its JSON) instead of measuring. */
  from: string | undefined;
  build: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      suites: { type: 'string' },
      contenders: { type: 'string' },
      scenarios: { type: 'string' },
      keys: { type: 'string' },
      decisions: { type: 'string' },
      'redis-decisions': { type: 'string' },
      concurrency: { type: 'string' },
      phases: { type: 'string' },
      'keep-dumps': { type: 'string' },
      from: { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const suites = list(values.suites ?? 'memory,redis');
  for (const suite of suites) if (suite !== 'memory' && suite !== 'redis') throw new RangeError(`unknown suite ${suite}`);
  return {
    suites: suites as Suite[],
    contenders: list(values.contenders),
    scenarios: list(values.scenarios),
    manyKeys: positiveNumber(values.keys, '--keys', true) ?? 10_000,
    memoryDecisions: positiveNumber(values.decisions, '--decisions', true) ?? 200_000,
    redisDecisions: positiveNumber(values['redis-decisions'], '--redis-decisions', true) ?? 20_000,
    concurrency: positiveNumber(values.concurrency, '--concurrency', true) ?? 64,
    phases: positiveNumber(values.phases, '--phases', true) ?? 3,
    keepDumps: values['keep-dumps'],
    from: values.from,
    build: values['no-build'] !== true,
  };
}

function build(): void {
  for (const project of ['packages/portcullis/tsconfig.json', 'bench/ratelimit/tsconfig.build.json']) {
    const result = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', project], { cwd: ROOT, encoding: 'utf8' });
    // tsc still emits when another file has a type error; the run goes on and says so.
    if (result.status !== 0) console.warn(`WARNING: tsc -p ${project} reported errors:\n${(result.stdout + result.stderr).trim().slice(0, 2_000)}`);
  }
}

interface MemoryFigure {
  instructions: number;
  admittedShare: number;
}

interface RedisFigure {
  clientInstructions: number;
  serverInstructions: number;
  admittedShare: number;
  /** Every command the server ran per decision, scripts' own commands included (INFO commandstats, private server). */
  serverCommands: Record<string, number>;
  /** Commands the client sent per decision (MONITOR): the round trips. */
  sent: Record<string, number>;
  /** Commands its scripts ran per decision (MONITOR). */
  inScripts: Record<string, number>;
  /** Server microseconds per call of every command it ran (INFO commandstats usec_per_call, native server). */
  usecPerCall: Record<string, number>;
  /** Server microseconds per decision: the usec of the commands the client sent (a script's include its commands). */
  usecPerDecision: number;
}

interface Row {
  scenario: string;
  contender: string;
  isPeer: boolean;
  memory?: MemoryFigure;
  redis?: RedisFigure;
}

const perDecision = (counts: Map<string, number>, decisions: number): Record<string, number> =>
  Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => [name, count / decisions]));

/** commandstats after a RESETSTAT, without the control connection's own INFO and CONFIG. */
async function statsSinceReset(redis: PrivateRedis): Promise<Map<string, CommandCounter>> {
  const stats = await commandStats(redis.control);
  for (const name of [...stats.keys()]) if (/^(info|config|echo|monitor|client|flushall)(\||$)/.test(name)) stats.delete(name);
  return stats;
}

/**
 * Counts `phases` equal phases in the same process and keeps the median: a one-off event (a JIT
 * compilation on a helper thread, a heap resize) lands in one phase, while what every decision
 * pays, regular garbage collection included, is in all of them.
 */
async function countedPhases(callgrind: Callgrind, phases: number, phase: () => Promise<void>): Promise<number> {
  const counts: number[] = [];
  for (let index = 0; index < phases; index += 1) counts.push(await callgrind.count(phase));
  return median(counts);
}

function checkTally(label: string, tally: CountTally, expected: number): void {
  if (tally.errors > 0) throw new Error(`${label}: ${tally.errors} failed decisions (${tally.firstError})`);
  if (tally.decisions !== expected) throw new Error(`${label}: ${tally.decisions} decisions counted, expected ${expected}`);
}

async function countMemory(request: CountRequest, label: string, phases: number, keepDumps: string | undefined): Promise<MemoryFigure> {
  const session = WorkerSession.start(request, true, label);
  if (keepDumps !== undefined) session.callgrind!.keepAs = { dir: keepDumps, label };
  try {
    await session.waitFor('READY');
    let tally: CountTally | undefined;
    const instructions = await countedPhases(session.callgrind!, phases, async () => {
      session.send('GO');
      tally = await session.waitFor<CountTally>('DONE');
      checkTally(label, tally, request.decisions);
    });
    return { instructions: instructions / request.decisions, admittedShare: tally!.admitted / tally!.decisions };
  } finally {
    await session.end();
  }
}

async function countRedis(request: CountRequest, label: string, phases: number, keepDumps: string | undefined, native: PrivateRedis, counted: PrivateRedis): Promise<RedisFigure> {
  // 1. The client under callgrind against the native server: client instructions, server time, round trips.
  const client = WorkerSession.start({ ...request, redisUrl: native.url }, true, `${label} (client)`);
  if (keepDumps !== undefined) client.callgrind!.keepAs = { dir: keepDumps, label: `${label} client` };
  let clientInstructions: number;
  let admittedShare: number;
  let sent: Record<string, number>;
  let inScripts: Record<string, number>;
  let usecPerCall: Record<string, number>;
  let usecPerDecision = 0;
  try {
    const { connections } = await client.waitFor<{ connections: string[] }>('READY');
    await native.resetStats();
    let tally: CountTally | undefined;
    clientInstructions = (await countedPhases(client.callgrind!, phases, async () => {
      client.send('GO');
      tally = await client.waitFor<CountTally>('DONE');
      checkTally(label, tally, request.decisions);
    })) / request.decisions;
    admittedShare = tally!.admitted / tally!.decisions;
    const stats = await statsSinceReset(native);
    usecPerCall = Object.fromEntries([...stats].map(([name, counter]) => [name, counter.usec / counter.calls]));
    // MONITOR slows the server (and is fed from inside scripts), so it runs after the counted phase.
    const tap = await CommandMonitor.start(native.url);
    client.send('MORE');
    const monitored = await client.waitFor<CountTally>('DONE');
    const trips = countRoundTrips(await tap.stop(native.control), new Set(connections));
    sent = perDecision(trips.sent, monitored.decisions);
    inScripts = perDecision(trips.inScripts, monitored.decisions);
    for (const name of Object.keys(sent)) usecPerDecision += (stats.get(name)?.usec ?? 0) / (request.decisions * phases);
  } finally {
    await client.end();
    await native.empty();
  }
  // 2. A native client against the server under callgrind: server instructions and commands per decision.
  const server = WorkerSession.start({ ...request, redisUrl: counted.url }, false, `${label} (server)`);
  counted.callgrind!.keepAs = keepDumps === undefined ? undefined : { dir: keepDumps, label: `${label} server` };
  let serverInstructions: number;
  let serverCommands: Record<string, number>;
  try {
    await server.waitFor('READY');
    await counted.resetStats();
    serverInstructions = (await countedPhases(counted.callgrind!, phases, async () => {
      server.send('GO');
      checkTally(label, await server.waitFor<CountTally>('DONE'), request.decisions);
    })) / request.decisions;
    const stats = await statsSinceReset(counted);
    serverCommands = perDecision(new Map([...stats].map(([name, counter]) => [name, counter.calls])), request.decisions * phases);
  } finally {
    await server.end();
    await counted.empty();
  }
  return { clientInstructions, serverInstructions, admittedShare, serverCommands, sent, inScripts, usecPerCall, usecPerDecision };
}

const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (value: number): string => `${value.toFixed(2)}x`;
const compact = (record: Record<string, number>): string =>
  Object.entries(record)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(', ') || '-';

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, index) => (index === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

/** Every Portcullis algorithm against every peer: the peer's count over ours (at least 1.00x: no more instructions than the peer). */
function pairings(rows: readonly Row[], figure: (row: Row) => number | undefined, title: string, unit = 'instructions/decision', show: (value: number) => string = fmt): string[] {
  const ours = rows.filter((row) => !row.isPeer && figure(row) !== undefined);
  const peers = rows.filter((row) => row.isPeer && figure(row) !== undefined);
  if (ours.length === 0 || peers.length === 0) return [];
  const fastest = peers.reduce((best, row) => (figure(row)! < figure(best)! ? row : best));
  const lines = [`${title} (peer / Portcullis; fastest peer: ${fastest.contender})`, ''];
  lines.push(
    ...table(
      ['Portcullis', unit, ...peers.map((peer) => `vs ${peer.contender} (${show(figure(peer)!)})`)],
      ours.map((row) => [row.contender, show(figure(row)!), ...peers.map((peer) => ratio(figure(peer)! / figure(row)!))]),
    ),
  );
  return [...lines, ''];
}

interface RunRecord {
  date: string;
  node: string;
  options: Options;
  rows: Row[];
}

/** The Markdown report of a run: per scenario, every contender's figures, then every pairing. */
function render(run: RunRecord): string {
  const { options, rows } = run;
  const lines: string[] = [`# Rate limiter instructions per decision`, '', `Node ${run.node}, valgrind callgrind, ${run.date}; memory ${fmt(options.memoryDecisions)} counted decisions after as many warm-up decisions, one at a time (median of ${options.phases} counted phases); Redis ${fmt(options.redisDecisions)} after as many, ${options.concurrency} in flight; many keys = ${fmt(options.manyKeys)}; over-limit is 10 per hour (the wall-clock bench: per minute), so no fixed window rolls over during a count ~50x slower than native.`, ''];
  for (const id of [...new Set(rows.map((row) => row.scenario))]) {
    const inScenario = rows.filter((row) => row.scenario === id);
    if (inScenario.length === 0) continue;
    lines.push(`## ${id}`, '');
    if (id.startsWith('memory/')) {
      const floor = inScenario.find((row) => row.contender === LOOP_FLOOR)?.memory?.instructions ?? 0;
      const net = (row: Row): number | undefined => (row.memory === undefined || row.contender.startsWith('loop-') ? undefined : row.memory.instructions - floor);
      lines.push(
        ...table(
          ['contender', 'instructions/decision', 'loop floor', 'net', 'admitted'],
          inScenario.map((row) => [row.contender, fmt(row.memory!.instructions), row.contender.startsWith('loop-') ? '' : fmt(floor), net(row) === undefined ? '' : fmt(net(row)!), `${(row.memory!.admittedShare * 100).toFixed(0)}%`]),
        ),
        '',
        ...pairings(inScenario, net, 'Net instructions per decision'),
      );
    } else {
      lines.push(
        ...table(
          ['contender', 'client instr/decision', 'server instr/decision', 'round trips/decision', 'commands in scripts/decision', 'server commands/decision', 'server us/decision', 'script us/call', 'admitted'],
          inScenario.map((row) => {
            const figure = row.redis!;
            const scriptUsec = ['evalsha', 'eval'].filter((name) => figure.usecPerCall[name] !== undefined).map((name) => `${name} ${figure.usecPerCall[name]!.toFixed(2)}`);
            return [
              row.contender,
              fmt(figure.clientInstructions),
              fmt(figure.serverInstructions),
              compact(figure.sent),
              compact(figure.inScripts),
              compact(figure.serverCommands),
              figure.usecPerDecision.toFixed(2),
              scriptUsec.join(', ') || '-',
              `${(figure.admittedShare * 100).toFixed(0)}%`,
            ];
          }),
        ),
        '',
        ...pairings(inScenario, (row) => row.redis?.clientInstructions, 'Client instructions per decision'),
        ...pairings(inScenario, (row) => row.redis?.serverInstructions, 'Redis server instructions per decision'),
        ...pairings(inScenario, (row) => row.redis?.usecPerDecision, 'Redis server microseconds per decision (INFO commandstats; wall-clock, so noisy)', 'us/decision', (value) => value.toFixed(2)),
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = readOptions();
  if (options.from !== undefined) {
    console.log(render(JSON.parse(readFileSync(options.from, 'utf8')) as RunRecord));
    return;
  }
  const missing = checkValgrind();
  if (missing !== undefined) {
    console.error(missing);
    process.exit(2);
  }
  if (options.build) build();
  // Imported after the build: contenders.ts reads the algorithm names from the compiled library.
  const { CONTENDERS, allScenarios, contenderRuns, scenarioId } = await import('./contenders.ts');
  const selected = CONTENDERS.filter(
    (contender: Contender) => options.suites.includes(contender.suite) && (options.contenders.length === 0 || options.contenders.includes(contender.id)),
  );
  const scenarios = allScenarios(options.suites).filter(
    (scenario: Scenario) => options.scenarios.length === 0 || options.scenarios.some((filter) => scenarioId(scenario).includes(filter)),
  );
  const started = new Date();
  console.log(`Rate limiter instructions per decision (callgrind), Node ${process.version}, ${started.toISOString()}`);
  console.log(`memory: ${fmt(options.memoryDecisions)} counted decisions; redis: ${fmt(options.redisDecisions)}, ${options.concurrency} in flight; many keys: ${fmt(options.manyKeys)}\n`);

  const redisServers = options.suites.includes('redis') ? [await PrivateRedis.start(false), await PrivateRedis.start(true)] : [];
  const stopServers = async (): Promise<void> => {
    for (const server of redisServers.splice(0)) await server.stop();
  };
  process.once('SIGINT', () => void stopServers().finally(() => process.exit(130)));
  const rows: Row[] = [];
  let sequence = 0;
  try {
    for (const scenario of scenarios) {
      const id = scenarioId(scenario);
      const base = {
        workload: scenario.workload,
        keys: scenario.keys,
        manyKeys: options.manyKeys,
        monitorDecisions: 2_000,
        concurrency: options.concurrency,
        redisUrl: '',
      };
      const contenders = selected.filter((contender: Contender) => contender.suite === scenario.suite && contenderRuns(contender, scenario.workload));
      const ids: string[] = scenario.suite === 'memory' ? [LOOP_FLOOR, ...contenders.map((contender: Contender) => contender.id)] : contenders.map((contender: Contender) => contender.id);
      for (const contenderId of ids) {
        const label = `${id} ${contenderId}`;
        const isPeer = CONTENDERS.some((contender: Contender) => contender.id === contenderId && contender.library !== 'portcullis');
        const decisions = scenario.suite === 'memory' ? options.memoryDecisions : options.redisDecisions;
        const request: CountRequest = { ...base, contender: contenderId, warmupDecisions: decisions, decisions, prefix: `pcic:${(sequence += 1)}` };
        // 10 per hour instead of per minute: the same refusals, without a window rolling over during a slow count.
        if (scenario.workload === 'over-limit') request.windowMs = OVER_LIMIT_WINDOW_MS;
        const row: Row = { scenario: id, contender: contenderId, isPeer };
        if (scenario.suite === 'memory') {
          row.memory = await countMemory(request, label, options.phases, options.keepDumps);
          console.log(`  ${label.padEnd(60)} ${fmt(row.memory.instructions).padStart(8)} instructions/decision  admitted ${(row.memory.admittedShare * 100).toFixed(0)}%`);
        } else {
          row.redis = await countRedis(request, label, options.phases, options.keepDumps, redisServers[0]!, redisServers[1]!);
          const figure = row.redis;
          console.log(
            `  ${label.padEnd(60)} client ${fmt(figure.clientInstructions).padStart(7)}  server ${fmt(figure.serverInstructions).padStart(7)}  server ${figure.usecPerDecision.toFixed(2)} us  round trips: ${compact(figure.sent)}  admitted ${(figure.admittedShare * 100).toFixed(0)}%`,
          );
        }
        rows.push(row);
      }
    }
  } finally {
    await stopServers();
  }

  const report = render({ date: started.toISOString(), node: process.version, options, rows });
  console.log(`\n${report}`);
  const complete = options.contenders.length === 0 && options.scenarios.length === 0 && options.suites.length === 2;
  const name = `ratelimit-instructions-${complete ? 'latest' : 'partial'}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${name}.md`, `${report}\n`);
  writeFileSync(`${RESULTS_DIR}${name}.json`, `${JSON.stringify({ date: started.toISOString(), node: process.version, options, rows }, null, 2)}\n`);
  console.log(`\nWritten: results/${name}.md, results/${name}.json`);
}

await main();
