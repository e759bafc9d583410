/**
 * The orchestrator's side of one count-worker process: spawn it (natively or under callgrind),
 * read its `READY` / `DONE` lines, send it phase commands, and make sure it is gone afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Callgrind } from './callgrind.ts';
import type { CountRequest } from './count-protocol.ts';

const WORKER_SCRIPT = fileURLToPath(new URL('../dist/ratelimit/count-worker.js', import.meta.url));
const STDERR_KEPT_CHARS = 4_000;

export class WorkerSession {
  private stdout = '';
  private stderr = '';
  private waiter: { marker: string; resolve: (payload: string) => void; reject: (error: Error) => void } | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly callgrind: Callgrind | undefined,
    private readonly label: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.deliver();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT_CHARS)));
    child.once('exit', (code, signal) => {
      this.waiter?.reject(new Error(`${this.label}: worker exited (${code ?? signal}) while waiting for ${this.waiter.marker}\n${this.stderr.trim()}`));
      this.waiter = undefined;
    });
  }

  static start(request: CountRequest, underCallgrind: boolean, label: string): WorkerSession {
    const args = [WORKER_SCRIPT, JSON.stringify(request)];
    const env = { ...process.env, NODE_ENV: 'production' };
    if (underCallgrind) {
      const callgrind = Callgrind.spawn(process.execPath, args, env);
      return new WorkerSession(callgrind.child, callgrind, label);
    }
    return new WorkerSession(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env }), undefined, label);
  }

  private deliver(): void {
    if (this.waiter === undefined) return;
    const lines = this.stdout.split('\n');
    for (let index = 0; index < lines.length - 1; index += 1) {
      const line = lines[index]!;
      if (line.startsWith(`${this.waiter.marker} `)) {
        this.stdout = lines.slice(index + 1).join('\n');
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve(line.slice(line.indexOf(' ') + 1));
        return;
      }
    }
  }

  /** The JSON payload of the next `<marker> <json>` line. */
  waitFor<T>(marker: 'READY' | 'DONE'): Promise<T> {
    return new Promise<string>((resolve, reject) => {
      if (this.child.exitCode !== null) {
        reject(new Error(`${this.label}: worker already exited (${this.child.exitCode})\n${this.stderr.trim()}`));
        return;
      }
      this.waiter = { marker, resolve, reject };
      this.deliver();
    }).then((payload) => JSON.parse(payload) as T);
  }

  send(command: 'GO' | 'MORE' | 'END'): void {
    this.child.stdin!.write(`${command}\n`);
  }

  /** Asks the worker to finish and waits for it; kills it if it does not exit within 60 s. */
  async end(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.send('END');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    await this.callgrind?.stop();
  }
}
