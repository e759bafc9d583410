import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { reportUnavailableService } from './unavailable-service.js';

/**
 * A redis-server of the test's own, on a free port, that the test may kill and restart (to see
 * what the app does when Redis dies). Needs the `redis-server` binary; without it the test is
 * skipped loudly, or fails under CI=true.
 */
export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: no goodbye to clients, as when a host dies. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function answers(url: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const client = createClient({ url, socket: { connectTimeout: 500, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.destroy();
      return true;
    } catch {
      if (client.isOpen) client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return false;
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis | undefined> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async (): Promise<boolean> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const failed = new Promise<boolean>((resolve) => started.once('error', () => resolve(false)));
    child = started;
    return Promise.race([answers(url, Date.now() + 10_000), failed]);
  };
  if (!(await launch())) {
    reportUnavailableService('a throwaway redis-server', 'PATH', 'redis-server', 'could not start redis-server');
    return undefined;
  }
  const kill = async (): Promise<void> => {
    const current = child;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  return {
    url,
    port,
    kill,
    async restart() {
      await kill();
      if (!(await launch())) throw new Error('redis-server did not come back');
    },
    stop: kill,
  };
}
