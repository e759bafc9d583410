/**
 * A Redis server of the instruction-count run's own: started on a free loopback port with
 * persistence off, used by nothing else (so INFO commandstats and MONITOR see only the
 * measurement), emptied between measurements and stopped by its own pid at the end. The shared
 * Redis the tests use is never touched. Optionally under callgrind, to count the server's own
 * instructions per decision.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { Callgrind } from './callgrind.ts';
import type { NodeRedisClient } from './redis-tools.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function connectWhenUp(url: string, child: ChildProcess, timeoutMs: number): Promise<NodeRedisClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} before accepting connections`);
    const client = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not accept connections within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export class PrivateRedis {
  private constructor(
    readonly url: string,
    readonly control: NodeRedisClient,
    private readonly child: ChildProcess,
    /** Set when the server runs under callgrind. */
    readonly callgrind: Callgrind | undefined,
  ) {}

  static async start(underCallgrind: boolean): Promise<PrivateRedis> {
    const port = await freePort();
    // No snapshots, no AOF: a BGSAVE fork in the middle of a measurement would be counted too.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
    const callgrind = underCallgrind ? Callgrind.spawn('redis-server', args, process.env) : undefined;
    const child = callgrind?.child ?? spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.resume();
    child.stderr?.resume();
    const url = `redis://127.0.0.1:${port}`;
    const control = await connectWhenUp(url, child, underCallgrind ? 60_000 : 10_000);
    return new PrivateRedis(url, control, child, callgrind);
  }

  /** Empties this private server (nothing else uses it). */
  async empty(): Promise<void> {
    await this.control.sendCommand(['FLUSHALL']);
  }

  /** Zeroes INFO commandstats, so the next read holds only what ran since. */
  async resetStats(): Promise<void> {
    await this.control.sendCommand(['CONFIG', 'RESETSTAT']);
  }

  async stop(): Promise<void> {
    await this.control.close().catch(() => undefined);
    if (this.callgrind !== undefined) {
      await this.callgrind.stop();
      return;
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}
