/**
 * One measuring process: builds one contender's limiter, warms it up, times decisions for a fixed
 * duration, and (Redis) reads the server's command counters and CPU time around the timed phase,
 * then counts one client's round trips under MONITOR. Runs as compiled JavaScript, pinned by the
 * orchestrator, and answers with one `RESULT <json>` line.
 */
import { contenderById, keysFor, WORKLOADS } from './contenders.ts';
import { processCpuSeconds } from '../lib/cpu-time.ts';
import { buildDecider, type AsyncDecider, type Decider, type SyncDecider } from './limiters.ts';
import { decideNext, emptyTally, type DecisionTally, type KeyCursor } from './decision-step.ts';
import { RESULT_MARKER, type CheckResult, type MeasureRequest, type MeasureResult, type RedisFigures } from './protocol.ts';
import {
  CommandMonitor,
  commandsBetween,
  commandStats,
  connectNodeRedis,
  countRoundTrips,
  deleteUnder,
  keysUnder,
  localServerPid,
  type NodeRedisClient,
} from './redis-tools.ts';

/** Decisions between two clock reads in the synchronous loop. */
const BATCH = 256;

type Tally = DecisionTally;

function runSync(decider: SyncDecider<unknown>, keys: readonly string[], cursor: KeyCursor, untilMs: number): Tally {
  const count = keys.length;
  let next = cursor.next;
  let decisions = 0;
  let admitted = 0;
  do {
    for (let batch = 0; batch < BATCH; batch += 1) {
      if (decider.admitted(decider.decide(keys[next]!))) admitted += 1;
      next = next + 1 === count ? 0 : next + 1;
    }
    decisions += BATCH;
  } while (performance.now() < untilMs);
  cursor.next = next;
  return { decisions, admitted, errors: 0, firstError: null };
}

/**
 * `lanes` closed loops, each awaiting its decision before starting the next; stops starting new
 * decisions at `untilMs` or after `maxDecisions`, and returns when the last one has settled.
 */
async function runAsync(decider: AsyncDecider<unknown>, keys: readonly string[], cursor: KeyCursor, lanes: number, untilMs: number, maxDecisions: number): Promise<Tally> {
  const tally = emptyTally();
  let started = 0;
  // One clock read per batch of decisions when running one at a time, so the clock costs the same as in runSync.
  const checkEvery = lanes === 1 ? BATCH : 1;
  const lane = async (): Promise<void> => {
    for (;;) {
      for (let batch = 0; batch < checkEvery; batch += 1) {
        if (started >= maxDecisions) return;
        started += 1;
        await decideNext(decider, keys, cursor, tally);
      }
      if (performance.now() >= untilMs) return;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return tally;
}

function run(decider: Decider, keys: readonly string[], cursor: KeyCursor, lanes: number, untilMs: number, maxDecisions = Number.POSITIVE_INFINITY): Tally | Promise<Tally> {
  return decider.kind === 'sync' ? runSync(decider, keys, cursor, untilMs) : runAsync(decider, keys, cursor, lanes, untilMs, maxDecisions);
}

const record = (counts: Map<string, number>): Record<string, number> => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));

async function check(decider: Decider, control: NodeRedisClient | undefined, prefix: string): Promise<CheckResult> {
  const problems: string[] = [];
  const sequence: [string, boolean][] = [
    ['ip:192.0.2.1', true],
    ['ip:192.0.2.1', true],
    ['ip:192.0.2.1', true],
    ['ip:192.0.2.1', false],
    ['ip:192.0.2.2', true],
  ];
  const got: boolean[] = [];
  for (const [key] of sequence) {
    if (decider.kind === 'sync') {
      got.push(decider.admitted(decider.decide(key)));
      continue;
    }
    try {
      got.push(decider.admitted(await decider.decide(key)));
    } catch (error) {
      if (!decider.isRefusal(error)) throw error;
      got.push(false);
    }
  }
  const expected = sequence.map(([, admitted]) => admitted);
  if (got.join() !== expected.join()) {
    problems.push(`limit 3 per minute: expected admit/refuse ${expected.join(',')} for a,a,a,a,b but got ${got.join(',')}`);
  }
  if (control !== undefined) {
    const written = await keysUnder(control, prefix);
    if (written.length === 0) problems.push(`wrote no key under its prefix ${prefix}: not keeping its counts in this Redis`);
    await deleteUnder(control, prefix);
  }
  return { problems };
}

async function measure(request: MeasureRequest, decider: Decider, keys: readonly string[], control: NodeRedisClient | undefined): Promise<MeasureResult> {
  const lanes = control === undefined ? 1 : request.concurrency;
  const cursor: KeyCursor = { next: 0 };
  const warm = await run(decider, keys, cursor, lanes, performance.now() + request.warmupMs);
  // Over the limit, the warm-up also spends every key's quota, so the timed phase measures refusals.
  const spendAll = request.workload === 'over-limit' ? (WORKLOADS['over-limit'].limit + 1) * keys.length : 0;
  for (let spent = warm.decisions; spent < spendAll; ) {
    spent += (await run(decider, keys, cursor, lanes, performance.now() + 100)).decisions;
  }

  const redisPid = control === undefined ? undefined : await localServerPid(control);
  const statsBefore = control === undefined ? undefined : await commandStats(control);
  const redisCpuBefore = processCpuSeconds(redisPid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const tally = await run(decider, keys, cursor, lanes, started + request.durationMs);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpuAfter = processCpuSeconds(redisPid);
  const statsAfter = control === undefined ? undefined : await commandStats(control);

  let redis: RedisFigures | null = null;
  if (control !== undefined && statsBefore !== undefined && statsAfter !== undefined) {
    let monitor: RedisFigures['monitor'];
    try {
      const ours = new Set(await decider.connections());
      const tap = await CommandMonitor.start(request.redisUrl);
      const counted = await run(decider, keys, cursor, lanes, Number.POSITIVE_INFINITY, request.monitorDecisions);
      const trips = countRoundTrips(await tap.stop(control), ours);
      monitor = { decisions: counted.decisions, sent: record(trips.sent), inScripts: record(trips.inScripts) };
    } catch (error) {
      monitor = { error: (error as Error).message };
    }
    const ran = commandsBetween(statsBefore, statsAfter);
    redis = {
      serverCpuSeconds: redisCpuBefore === undefined || redisCpuAfter === undefined ? null : redisCpuAfter - redisCpuBefore,
      commands: record(new Map([...ran].map(([name, counter]) => [name, counter.calls]))),
      commandUsec: record(new Map([...ran].map(([name, counter]) => [name, counter.usec]))),
      monitor,
      keysDeleted: await deleteUnder(control, request.prefix),
    };
  }
  return {
    ...tally,
    seconds,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    redis,
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as MeasureRequest;
  const contender = contenderById(request.contender);
  const workload = request.mode === 'check' ? { limit: 3, windowMs: 60_000 } : WORKLOADS[request.workload];
  const keys = keysFor(request.keys, request.manyKeys);
  const control = contender.suite === 'redis' ? await connectNodeRedis(request.redisUrl) : undefined;
  try {
    const decider = await buildDecider(contender, { workload, redisUrl: request.redisUrl, prefix: request.prefix }, keys.length);
    try {
      const result = request.mode === 'check' ? await check(decider, control, request.prefix) : await measure(request, decider, keys, control);
      process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
    } finally {
      await decider.close();
    }
  } finally {
    if (control !== undefined) {
      await deleteUnder(control, request.prefix);
      await control.close();
    }
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
}
