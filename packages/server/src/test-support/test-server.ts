import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config/load-config.js';
import { startServer, type StartOptions } from '../app/start-server.js';

/**
 * Starts the real reference server (real config loading, migrations, Fastify, loopback socket)
 * for end-to-end tests, with its log lines captured. SQLite in a temporary directory unless the
 * caller passes DATABASE_URL.
 *
 *   const server = await startTestServer({ CORS_ORIGINS: 'https://app.example.com' });
 *   const res = await request(server.url, { path: '/health' });
 *   await server.close();
 */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Every log line written so far, raw. */
  readonly logText: () => string;
  /** Log lines parsed as JSON. */
  readonly logLines: () => Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: Pick<StartOptions, 'extraV1Routes'> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  const chunks: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...env,
  });
  const app = await startServer(config, { logStream, ...options });
  const port = (app.server.address() as AddressInfo).port;
  const scheme = config.tls === undefined ? 'http' : 'https';
  let closed = false;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    app,
    logText: () => chunks.join(''),
    logLines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
