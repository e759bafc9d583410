/**
 * Issue 8's benchmark goal (the audit trail on, with a steady stream of events, within 5% of the
 * same variant with it off), measured inside one server process: the `portcullis-audit` server
 * alternates slices with events flowing and slices without (its trail configured and idle), and
 * reports each slice's requests, wall time and CPU time (lib/alternating-slices.ts). The two-
 * process comparison in `npm run bench` (portcullis-audit against portcullis) carries the
 * process-to-process variance of the runtime itself, up to 7% on the 2-core bench machines, which
 * is larger than the effect being measured; here both states share one process, a second apart.
 *
 *   npm run bench:audit-alternating                       # 1 event per 10 and per 50 requests
 *   npm run bench:audit-alternating -- --every 10 --seconds 120
 *
 * The server is pinned to cpu 1 and wrk to cpu 0 (as in the HTTP bench, 50 connections, one
 * thread). After a warm-up with slicing already running, the driver starts recording (SIGUSR2),
 * loads for `--seconds`, stops recording (SIGUSR2 again: the server prints its slices) and stops it.
 * Reported: the median throughput of the "on" slices over the "off" slices, the median of each
 * on slice over the off slice after it (paired), and the CPU time per request in each state.
 * Results go to results/audit-alternating-latest.{json,md}.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SLICES_MARKER, type MeasuredSlice } from '../lib/alternating-slices.ts';
import { READY_MARKER, SECRET_ENV, mintToken } from '../lib/fixture.ts';
import { list, positiveNumber } from '../lib/option-values.ts';
import { SERVER_CPU, detectPinning, pinned, type Pinning } from '../lib/pinning.ts';
import { median } from '../lib/stats.ts';
import { runWrk } from '../lib/wrk.ts';

const SERVER = fileURLToPath(new URL('../dist-audit/bench/servers/portcullis-audit.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../results/audit-alternating-latest', import.meta.url));

const { values } = parseArgs({
  options: {
    every: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    'slice-ms': { type: 'string' },
    'guard-ms': { type: 'string' },
    connections: { type: 'string' },
  },
});
const everyList = list(values.every ?? process.env['BENCH_AUDIT_EVERY'] ?? '10,50').map((raw) => positiveNumber(raw, '--every', true) as number);
const seconds = positiveNumber(values.seconds ?? process.env['BENCH_DURATION'], '--seconds', true) ?? 60;
const warmup = positiveNumber(values.warmup ?? process.env['BENCH_WARMUP'], '--warmup', true) ?? 5;
const sliceMs = positiveNumber(values['slice-ms'], '--slice-ms', true) ?? 2_000;
const guardMs = positiveNumber(values['guard-ms'], '--guard-ms', true) ?? 400;
const connections = positiveNumber(values.connections ?? process.env['BENCH_CONNECTIONS'], '--connections', true) ?? 50;

interface StateFigures {
  readonly slices: number;
  readonly medianRps: number;
  readonly cpuUsPerRequest: number;
}

interface RunResult {
  readonly every: number;
  readonly on: StateFigures;
  readonly off: StateFigures;
  /** Median on-slice throughput over median off-slice throughput. */
  readonly ratio: number;
  /** Median, over each on slice, of its throughput over the next off slice's. */
  readonly pairedRatio: number;
  /** Off-state CPU per request over on-state CPU per request. */
  readonly cpuRatio: number;
}

function figures(slices: readonly MeasuredSlice[]): StateFigures {
  const requests = slices.reduce((sum, slice) => sum + slice.requests, 0);
  const cpu = slices.reduce((sum, slice) => sum + slice.cpuUs, 0);
  return { slices: slices.length, medianRps: median(slices.map(rps)), cpuUsPerRequest: cpu / requests };
}

const rps = (slice: MeasuredSlice): number => (slice.requests * 1000) / slice.wallMs;

function analyse(every: number, slices: readonly MeasuredSlice[]): RunResult {
  const on = slices.filter((slice) => slice.on && slice.requests > 0);
  const off = slices.filter((slice) => !slice.on && slice.requests > 0);
  if (on.length < 3 || off.length < 3) throw new Error(`too few measured slices (${on.length} on, ${off.length} off): run longer or use shorter slices`);
  const pairs: number[] = [];
  for (let index = 0; index + 1 < slices.length; index += 1) {
    const first = slices[index] as MeasuredSlice;
    const next = slices[index + 1] as MeasuredSlice;
    if (first.on && !next.on && first.requests > 0 && next.requests > 0) pairs.push(rps(first) / rps(next));
  }
  const onFigures = figures(on);
  const offFigures = figures(off);
  return {
    every,
    on: onFigures,
    off: offFigures,
    ratio: onFigures.medianRps / offFigures.medianRps,
    pairedRatio: median(pairs),
    cpuRatio: offFigures.cpuUsPerRequest / onFigures.cpuUsPerRequest,
  };
}

async function measure(every: number, pinning: Pinning): Promise<RunResult> {
  const secret = randomBytes(32);
  const [command, args] = pinned(pinning, SERVER_CPU, process.execPath, [SERVER]);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      [SECRET_ENV]: secret.toString('hex'),
      BENCH_AUDIT_EVERY: String(every),
      BENCH_AUDIT_ALTERNATE_MS: String(sliceMs),
      BENCH_AUDIT_GUARD_MS: String(guardMs),
    },
  });
  let resolveSlices: (slices: MeasuredSlice[]) => void = () => undefined;
  const reported = new Promise<MeasuredSlice[]>((resolve) => (resolveSlices = resolve));
  const ready = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the audit server exited (code ${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(`${READY_MARKER} `)) resolve(Number(line.slice(READY_MARKER.length + 1)));
      else if (line.startsWith(`${SLICES_MARKER} `)) resolveSlices(JSON.parse(line.slice(SLICES_MARKER.length + 1)) as MeasuredSlice[]);
    });
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const port = await ready;
    const token = mintToken(secret);
    await runWrk({ pinning, port, seconds: warmup, connections, token });
    child.kill('SIGUSR2');
    const load = await runWrk({ pinning, port, seconds, connections, token });
    child.kill('SIGUSR2');
    const slices = await Promise.race([reported, exited.then(() => undefined)]);
    if (load.non2xx + load.connectErrors + load.readErrors + load.writeErrors + load.timeouts > 0) throw new Error(`the load run had failures: ${JSON.stringify(load)}`);
    if (slices === undefined) throw new Error('the audit server did not report its slices');
    return analyse(every, slices);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

function table(results: readonly RunResult[]): string {
  const lines = [
    '| events | on slices / off slices | on: median req/s | off: median req/s | on / off | paired | CPU us/request on / off | off / on (CPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    lines.push(
      `| 1 per ${result.every} requests | ${result.on.slices} / ${result.off.slices} | ${Math.round(result.on.medianRps).toLocaleString('en-US')} | ${Math.round(result.off.medianRps).toLocaleString('en-US')} | **${fixed(result.ratio, 3)}x** | ${fixed(result.pairedRatio, 3)}x | ${fixed(result.on.cpuUsPerRequest)} / ${fixed(result.off.cpuUsPerRequest)} | ${fixed(result.cpuRatio, 3)}x |`,
    );
  }
  return lines.join('\n');
}

const pinning = detectPinning();
const results: RunResult[] = [];
for (const every of everyList) {
  process.stderr.write(`1 event per ${every} requests: ${warmup} s warm-up, ${seconds} s in ${sliceMs} ms slices (${guardMs} ms guard)...\n`);
  results.push(await measure(every, pinning));
}
const heading = `Audit trail on / off, alternating in one process (${new Date().toISOString()}): ${seconds} s per run in ${sliceMs} ms slices, ${guardMs} ms unmeasured at the start of each, ${connections} connections, pinning ${pinning.enabled ? 'on' : `off (${pinning.reason})`}`;
const report = `${heading}\n\n${table(results)}\n`;
process.stdout.write(`\n${report}`);
writeFileSync(`${RESULTS}.md`, report);
writeFileSync(`${RESULTS}.json`, `${JSON.stringify({ heading, seconds, sliceMs, guardMs, connections, results }, null, 2)}\n`);
process.stdout.write(`\nWritten: ${RESULTS}.md, ${RESULTS}.json\n`);
