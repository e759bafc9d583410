/**
 * Starts one variant's server as its own pinned child process and stops it again. Every variant
 * runs as compiled JavaScript with plain `node` (the library from its `dist`), as in production:
 * under tsx's loader hooks the TypeScript-sourced side was measurably slower (process.nextTick
 * alone cost ~2x), which would have penalised one variant for how it was loaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { API_KEY_ENV, READY_MARKER, SECRET_ENV } from './fixture.ts';
import { SERVER_CPU, pinned, type Pinning } from './pinning.ts';
import type { Variant } from './variants.ts';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_KEPT_CHARS = 4_000;

export interface RunningServer {
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface ServerLaunch {
  pinning: Pinning;
  secretHex: string;
  /** The run's API key, for the API-key variant. */
  apiKey: string;
  cpuProfileDir: string | undefined;
}

export class ServerStartError extends Error {
  constructor(variant: string, reason: string, stderr: string) {
    super(`${variant} did not start: ${reason}${stderr.trim() === '' ? '' : `\n--- its stderr ---\n${stderr.trim()}`}`);
  }
}

function nodeArgs(variant: Variant, cpuProfileDir: string | undefined): string[] {
  const args: string[] = [];
  if (cpuProfileDir !== undefined) {
    const dir = join(cpuProfileDir, variant.name);
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  return [...args, variant.script];
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

export async function startServer(variant: Variant, launch: ServerLaunch): Promise<RunningServer> {
  const [command, args] = pinned(launch.pinning, SERVER_CPU, process.execPath, nodeArgs(variant, launch.cpuProfileDir));
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Same environment on every side; production mode is what a benchmark of a deployment means.
    env: { ...process.env, NODE_ENV: 'production', [SECRET_ENV]: launch.secretHex, [API_KEY_ENV]: launch.apiKey },
  });

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS);
  });

  const port = await new Promise<number>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopChild(child).then(() => reject(new ServerStartError(variant.name, reason, stderr)));
    };
    const timer = setTimeout(() => fail(`no ready line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    // Keep reading stdout after the ready line so a chatty server can never block on a full pipe.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (settled || !line.startsWith(`${READY_MARKER} `)) return;
      settled = true;
      clearTimeout(timer);
      resolve(Number(line.slice(READY_MARKER.length + 1)));
    });
  });

  return { port, pid: child.pid, stop: () => stopChild(child) };
}
