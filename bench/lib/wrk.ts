/**
 * The load generator. wrk is a compiled, event-driven client: one thread on its own core can
 * saturate one server core, which a Node-based generator sharing our runtime cannot promise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ALLOWED_ORIGIN, ORDER_BODY_JSON, ORDER_ROUTE } from './fixture.ts';
import { LOAD_CPU, pinned, type Pinning } from './pinning.ts';

const SCRIPT = fileURLToPath(new URL('../wrk/post-order.lua', import.meta.url));
const RESULT_MARKER = 'BENCH_WRK_RESULT ';

export const WRK_INSTALL_HINT = `wrk was not found on PATH. Install it, then run the bench again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y wrk
  macOS:          brew install wrk
  from source:    git clone https://github.com/wg/wrk && make -C wrk && sudo cp wrk/wrk /usr/local/bin/`;

export interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  non2xx: number;
}

export interface WrkRun {
  pinning: Pinning;
  port: number;
  seconds: number;
  connections: number;
  token: string;
}

/** The first line of `wrk --version`, or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return undefined;
  return `${probe.stdout}${probe.stderr}`.split('\n')[0]?.replace(/ Copyright.*/, '').trim() ?? 'wrk';
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const wrkArgs = [
    // One thread: the generator has exactly one core, and a second thread would only contend for it.
    '-t1',
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    '--timeout', '5s',
    '-s', SCRIPT,
    `http://127.0.0.1:${run.port}${ORDER_ROUTE}`,
  ];
  const [command, args] = pinned(run.pinning, LOAD_CPU, 'wrk', wrkArgs);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_BODY: ORDER_BODY_JSON, BENCH_TOKEN: run.token, BENCH_ORIGIN: ALLOWED_ORIGIN },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });

  const line = output.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk failed (exit ${code}):\n${output.trim()}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as WrkResult;
}

export function requestsPerSecond(result: WrkResult): number {
  return result.requests / (result.durationUs / 1e6);
}
