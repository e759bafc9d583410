/**
 * One counting process of `instructions.ts`: builds one contender's limiter, warms it up by a
 * fixed number of decisions, then runs phases the orchestrator starts on stdin, so it can zero and
 * dump callgrind's counters (of this process or of the Redis server) around exactly N decisions.
 * Phases count decisions, not time: under callgrind every instruction is ~50x slower, and a
 * count is what makes two runs comparable. Runs as compiled JavaScript.
 *
 * Protocol (one line each): it prints `READY <json>` (its Redis connection addresses) after the
 * warm-up; `GO` runs the counted phase and prints `DONE <json>`; `MORE` runs the MONITOR phase
 * and prints `DONE <json>`; `END` closes the limiter and exits.
 */
import { createInterface } from 'node:readline';
import { contenderById, keysFor, WORKLOADS } from './contenders.ts';
import { LOOP_FLOOR, type CountRequest, type CountTally } from './count-protocol.ts';
import { buildDecider, type AsyncDecider, type Decider, type SyncDecider } from './limiters.ts';
import { decideNext, type KeyCursor } from './decision-step.ts';

const FLOOR_DECISION = Object.freeze({ allowed: true });

/** The counting loop's floor: a synchronous decision that costs nothing. */
function floorDecider(): Decider {
  const decider: SyncDecider<{ allowed: boolean }> = {
    kind: 'sync',
    decide: () => FLOOR_DECISION,
    admitted: (result) => result.allowed,
    connections: async () => [],
    close: async () => undefined,
  };
  return decider;
}


function runSync(decider: SyncDecider<unknown>, keys: readonly string[], cursor: KeyCursor, decisions: number): CountTally {
  const count = keys.length;
  let next = cursor.next;
  let admitted = 0;
  for (let done = 0; done < decisions; done += 1) {
    if (decider.admitted(decider.decide(keys[next]!))) admitted += 1;
    next = next + 1 === count ? 0 : next + 1;
  }
  cursor.next = next;
  return { decisions, admitted, errors: 0, firstError: null };
}

/** `lanes` closed loops, each awaiting its decision before starting the next, until `decisions` have settled. */
async function runAsync(decider: AsyncDecider<unknown>, keys: readonly string[], cursor: KeyCursor, lanes: number, decisions: number): Promise<CountTally> {
  const tally: CountTally = { decisions: 0, admitted: 0, errors: 0, firstError: null };
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < decisions) {
      started += 1;
      await decideNext(decider, keys, cursor, tally);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, decisions) }, lane));
  return tally;
}

function run(decider: Decider, keys: readonly string[], cursor: KeyCursor, lanes: number, decisions: number): CountTally | Promise<CountTally> {
  return decider.kind === 'sync' ? runSync(decider, keys, cursor, decisions) : runAsync(decider, keys, cursor, lanes, decisions);
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as CountRequest;
  const keys = keysFor(request.keys, request.manyKeys);
  const workload = { ...WORKLOADS[request.workload], windowMs: request.windowMs ?? WORKLOADS[request.workload].windowMs };
  let decider: Decider;
  let lanes = 1;
  if (request.contender === LOOP_FLOOR) {
    decider = floorDecider();
  } else {
    const contender = contenderById(request.contender);
    if (contender.suite === 'redis') lanes = request.concurrency;
    decider = await buildDecider(contender, { workload, redisUrl: request.redisUrl, prefix: request.prefix }, keys.length);
  }
  const cursor: KeyCursor = { next: 0 };
  // Over the limit the warm-up also spends every key's quota, so the counted phase measures refusals.
  const spendAll = request.workload === 'over-limit' ? (workload.limit + 1) * keys.length : 0;
  await run(decider, keys, cursor, lanes, Math.max(request.warmupDecisions, spendAll));
  process.stdout.write(`READY ${JSON.stringify({ connections: await decider.connections() })}\n`);

  const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (;;) {
    const next = await commands.next();
    const command = next.done === true ? 'END' : next.value.trim();
    if (command === 'GO' || command === 'MORE') {
      const tally = await run(decider, keys, cursor, lanes, command === 'GO' ? request.decisions : request.monitorDecisions);
      process.stdout.write(`DONE ${JSON.stringify(tally)}\n`);
    } else if (command === 'END') {
      break;
    } else {
      throw new Error(`unknown command ${command}`);
    }
  }
  await decider.close();
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
}
