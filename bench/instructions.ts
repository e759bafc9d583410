/**
 * Instructions per request, counted by valgrind's callgrind: a figure that machine noise does not
 * move, to complement the wall-clock bench on small shared VMs where one round can lose 40% to the
 * host. Each variant's compiled server runs under callgrind; after a warm-up (so V8 has optimised
 * the hot path) the counters are zeroed, a fixed number of requests is sent over a few keep-alive
 * connections, and the counters are dumped. Instructions per request = dumped total / requests.
 *
 *   npm run bench:instructions                          # every variant
 *   BENCH_VARIANTS=bare-fastify,portcullis npm run bench:instructions
 *   BENCH_IC_REQUESTS=4000 BENCH_IC_WARMUP=3000 npm run bench:instructions
 *
 * It counts user-space instructions of the server process only (the load generator runs outside
 * valgrind), including V8's JIT code, GC and Node's C++ but not the kernel's socket work.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newApiKey } from 'portcullis/auth';
import { ALLOWED_ORIGIN, API_KEY_ENV, ORDER_BODY_JSON, ORDER_ROUTE, READY_MARKER, SECRET_ENV, mintToken } from './lib/fixture.ts';

const ALL = ['bare-fastify', 'fastify-same-headers', 'portcullis', 'portcullis-apikey', 'portcullis-audit', 'fastify-plugins', 'express-stack'];
const requested = (process.env['BENCH_VARIANTS'] ?? '').split(',').filter((name) => name !== '');
const variants = requested.length === 0 ? ALL : requested;
const serverScript = (variant: string): string =>
  variant === 'portcullis-audit' ? join(import.meta.dirname, 'dist-audit', 'bench', 'servers', `${variant}.js`) : join(import.meta.dirname, 'dist', 'servers', `${variant}.js`);
const unknown = variants.filter((name) => !existsSync(serverScript(name)));
if (unknown.length > 0) {
  process.stderr.write(`no compiled server for: ${unknown.join(', ')} (run npm run build; variants: ${ALL.join(', ')})\n`);
  process.exit(2);
}
const REQUESTS = positiveInteger('BENCH_IC_REQUESTS', 4_000);
const WARMUP = positiveInteger('BENCH_IC_WARMUP', 3_000);
const CONNECTIONS = 8;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive integer\n`);
    process.exit(2);
  }
  return value;
}

if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('valgrind is not installed (apt-get install -y valgrind)\n');
  process.exit(2);
}

const secret = randomBytes(32);
const apiKey = newApiKey('live').key;
/** The benchmark request, with the bearer credential the variant takes. */
const requestFor = (variant: string): Buffer =>
  Buffer.from(
    `POST ${ORDER_ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${variant === 'portcullis-apikey' ? apiKey : mintToken(secret)}\r\nOrigin: ${ALLOWED_ORIGIN}\r\n` +
      `Content-Length: ${Buffer.byteLength(ORDER_BODY_JSON)}\r\n\r\n${ORDER_BODY_JSON}`,
  );

/** Sends `count` requests over CONNECTIONS keep-alive connections, one in flight on each; rejects on a non-200. */
async function load(port: number, count: number, request: Buffer): Promise<void> {
  let left = count;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let buffered = '';
      const next = (): void => {
        if (left === 0) {
          socket.end();
          resolve();
          return;
        }
        left -= 1;
        socket.write(request);
      };
      socket.setEncoding('latin1');
      socket.on('connect', next);
      socket.on('error', reject);
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 'NaN');
        if (buffered.length < headEnd + 4 + length) return;
        if (!buffered.startsWith('HTTP/1.1 200')) {
          reject(new Error(`unexpected response: ${buffered.slice(0, 200)}`));
          socket.destroy();
          return;
        }
        buffered = buffered.slice(headEnd + 4 + length);
        next();
      });
    });
  await Promise.all(Array.from({ length: CONNECTIONS }, one));
}

function waitReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (err = (err + chunk).slice(-4_000)));
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = new RegExp(`${READY_MARKER} (\\d+)`).exec(out);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${err}`)));
  });
}

function callgrind(pid: number, flag: '--zero' | '--dump'): void {
  const result = spawnSync('callgrind_control', [flag, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${flag} failed: ${result.stderr}`);
}

/** The `totals:` line of the dump callgrind wrote after the last zeroing. */
function dumpedInstructions(dir: string): number {
  const dumps = readdirSync(dir).filter((name) => /\.\d+$/.test(name));
  if (dumps.length !== 1) throw new Error(`expected one callgrind dump in ${dir}, found ${dumps.join(', ') || 'none'}`);
  const text = readFileSync(join(dir, dumps[0]!), 'utf8');
  const totals = /^(?:totals|summary): (\d+)/m.exec(text);
  if (totals === null) throw new Error('callgrind dump without totals');
  return Number(totals[1]);
}

async function measure(variant: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-ic-'));
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--dump-instr=no', `--callgrind-out-file=${join(dir, 'cg.out')}`, process.execPath, serverScript(variant)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production', BENCH_UNDER_VALGRIND: '1', [SECRET_ENV]: secret.toString('hex'), [API_KEY_ENV]: apiKey } },
  );
  try {
    const port = await waitReady(child);
    const request = requestFor(variant);
    await load(port, WARMUP, request);
    callgrind(child.pid!, '--zero');
    await load(port, REQUESTS, request);
    callgrind(child.pid!, '--dump');
    return dumpedInstructions(dir) / REQUESTS;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: [string, number][] = [];
for (const variant of variants) {
  process.stdout.write(`${variant.padEnd(22)} `);
  const perRequest = await measure(variant);
  results.push([variant, perRequest]);
  process.stdout.write(`${Math.round(perRequest).toLocaleString('en-US').padStart(9)} instructions/request\n`);
}
const bare = results.find(([name]) => name === 'bare-fastify')?.[1];
if (bare !== undefined) {
  process.stdout.write(`\nvs bare-fastify (bare / variant: the throughput ratio if time followed instructions)\n`);
  for (const [name, perRequest] of results) process.stdout.write(`${name.padEnd(22)} ${(bare / perRequest).toFixed(2)}x\n`);
}
