import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthClient } from './identity.test-helpers.js';
import type { Actor } from './posts.test-helpers.js';

/**
 * Shared by the webhook end-to-end suites (webhooks*.test.ts): a receiver on 127.0.0.1 that plays
 * a public endpoint (the server reaches it only through OUTBOUND_ALLOW_ADDRESSES=127.0.0.1),
 * records every delivery with its raw body, and answers per path from a script; a listener on
 * 127.0.0.2 (loopback, never allowlisted) that counts connections, for the SSRF checks; and the
 * environment and client calls the suites share.
 */

export interface Delivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

export interface Receiver {
  readonly port: number;
  readonly base: string;
  readonly deliveries: Delivery[];
  /** Answers for `path`, used in turn (the last repeats); 200 when none is set. */
  script(path: string, statuses: readonly number[], delayMs?: number): void;
  /** Runs before each answer on `path` (e.g. to inspect the database while the delivery is in flight). */
  onDelivery(path: string, check: (delivery: Delivery) => Promise<void>): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const scripts = new Map<string, { statuses: readonly number[]; delayMs: number; used: number }>();
  const checks = new Map<string, (delivery: Delivery) => Promise<void>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const delivery = { path: url.pathname + url.search, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
      deliveries.push(delivery);
      const script = scripts.get(url.pathname);
      const status = script === undefined ? 200 : (script.statuses[Math.min(script.used++, script.statuses.length - 1)] ?? 200);
      const check = checks.get(url.pathname);
      void (async () => {
        if (check !== undefined) await check(delivery).catch(() => undefined);
        if (script !== undefined && script.delayMs > 0) await sleep(script.delayMs);
        if (url.pathname.startsWith('/redirect')) {
          res.writeHead(307, { location: url.searchParams.get('to') ?? '' }).end();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"received":true}');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    deliveries,
    script: (path, statuses, delayMs = 0) => scripts.set(path, { statuses, delayMs, used: 0 }),
    onDelivery: (path, check) => checks.set(path, check),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ForbiddenTarget {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** A listener on 127.0.0.2 that counts and drops connections: none may ever arrive. */
export async function startForbiddenTarget(): Promise<ForbiddenTarget> {
  let count = 0;
  const server: TcpServer = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Server settings for webhook suites: the receiver allowlisted, small retries, fast polling. */
export function webhookEnv(receiverPort: number, forbiddenPort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OUTBOUND_ALLOW_ADDRESSES: '127.0.0.1',
    OUTBOUND_ALLOWED_PORTS: `80,443,${receiverPort},${forbiddenPort}`,
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_MAX_ATTEMPTS: '3',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_POLL_MS: '25',
    ...extra,
  };
}

export interface CreatedWebhook {
  readonly id: string;
  readonly url: string;
  readonly events: string[];
  readonly secret: string;
}

export async function createWebhook(client: AuthClient, actor: Actor, url: string, events: readonly string[]): Promise<CreatedWebhook> {
  const res = await client.send('POST', '/v1/webhooks', { headers: actor.headers, body: { url, events } });
  assert.equal(res.status, 201, res.text);
  return res.json() as unknown as CreatedWebhook;
}

/** Posts' `sendAs`, under the name the webhook suites call it by. */
export { sendAs as sendAsActor } from './posts.test-helpers.js';

/** Polls until `check` returns a value (not undefined); fails after `withinMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, withinMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > withinMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
