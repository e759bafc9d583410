import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { PortcullisMetrics } from 'portcullis/audit';
import { PortcullisError, PROBLEM_CONTENT_TYPE, newErrorId, toProblem, type ErrorCode } from 'portcullis/errors';
import type { MetricsConfig } from './metrics-config.js';

/**
 * E5: Prometheus scrapes on a listener of its own (METRICS_HOST:METRICS_PORT, loopback by
 * default), never on the API port, so the firewall rule and the public surface stay separate. It
 * answers `GET /metrics` and nothing else, and only with the bearer token (compared in constant
 * time over SHA-256 digests, so neither content nor length leaks through timing). A plain
 * node:http server: there is one route, no body to parse and no checkpoint to run.
 */

export interface MetricsListener {
  listen(): Promise<void>;
  /** Where it listens, once listening. */
  address(): { readonly host: string; readonly port: number } | undefined;
  close(): Promise<void>;
}

const BASE_HEADERS = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
});
const CHALLENGE = 'Bearer realm="metrics"';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.length <= 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  return header.slice(7).trim();
}

function refuse(response: ServerResponse, code: ErrorCode, headers: Record<string, string> = {}): void {
  const problem = toProblem(new PortcullisError(code), newErrorId());
  response.writeHead(problem.status, { ...BASE_HEADERS, ...headers, 'content-type': PROBLEM_CONTENT_TYPE });
  response.end(JSON.stringify(problem.body));
}

export function createMetricsListener(config: MetricsConfig, metrics: PortcullisMetrics, log: FastifyBaseLogger): MetricsListener {
  const expected = digest(config.token);
  let server: Server | undefined;

  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    if ((queryAt === -1 ? url : url.slice(0, queryAt)) !== '/metrics') {
      refuse(response, 'route.not_found');
      return;
    }
    if (request.method !== 'GET') {
      refuse(response, 'route.method_not_allowed', { allow: 'GET' });
      return;
    }
    const token = presentedToken(request);
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      // The presented value is never logged: a near-miss token is still a secret.
      log.warn({ event: 'metrics.unauthorized', clientAddress: request.socket.remoteAddress, tokenPresented: token !== undefined }, 'metrics scrape refused');
      refuse(response, 'auth.unauthenticated', { 'www-authenticate': CHALLENGE });
      return;
    }
    metrics.scrape().then(
      (text) => {
        response.writeHead(200, { ...BASE_HEADERS, 'content-type': metrics.contentType });
        response.end(text);
      },
      (error: unknown) => {
        log.error({ err: error, event: 'metrics.scrape_failed' }, 'metrics scrape failed');
        refuse(response, 'internal.unexpected');
      },
    );
  };

  return {
    listen() {
      server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, answer);
      // A request body is never read: drop the connection's input rather than buffer it.
      server.on('request', (request: IncomingMessage) => request.resume());
      server.on('clientError', (_error, socket) => socket.destroy());
      const listening = server;
      return new Promise<void>((resolve, reject) => {
        listening.once('error', (error: NodeJS.ErrnoException) => {
          reject(new PortcullisError('config.invalid', { detail: `METRICS_PORT: cannot listen on ${config.host}:${config.port} (${error.code ?? 'error'})` }));
        });
        listening.listen(config.port, config.host, () => {
          log.info({ event: 'metrics.listening', host: config.host, port: (listening.address() as AddressInfo).port }, 'metrics listener started');
          resolve();
        });
      });
    },
    address() {
      const address = server?.address();
      return address === null || address === undefined || typeof address === 'string' ? undefined : { host: address.address, port: address.port };
    },
    close() {
      const closing = server;
      server = undefined;
      if (closing === undefined || !closing.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}

const listeners = new WeakMap<FastifyInstance, MetricsListener>();

/** Ties a metrics listener to the app: it is closed with the app, and started by `startMetricsListener`. */
export function attachMetricsListener(app: FastifyInstance, listener: MetricsListener): void {
  listeners.set(app, listener);
  app.addHook('onClose', async () => listener.close());
}

export function metricsListenerOf(app: FastifyInstance): MetricsListener | undefined {
  return listeners.get(app);
}

/**
 * Starts the app's metrics listener, if it has one, once the API listens (not on `ready()`, so
 * the routes CLI never opens the port). A port that cannot be opened stops the whole start.
 */
export async function startMetricsListener(app: FastifyInstance): Promise<void> {
  const listener = listeners.get(app);
  if (listener === undefined) return;
  try {
    await listener.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The app's metrics when the listener is configured, else undefined (and the plugin adds no
 * metrics hook). `auditQueueDepth` feeds the audit queue gauge.
 */
export function serverMetricsFor(config: { readonly metrics: MetricsConfig | undefined }, auditQueueDepth?: () => number): PortcullisMetrics | undefined {
  if (config.metrics === undefined) return undefined;
  return new PortcullisMetrics(auditQueueDepth === undefined ? {} : { auditQueueDepth });
}
