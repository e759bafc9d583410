import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { HostResolver, ResolvedAddress } from './guarded-lookup.js';

/**
 * Test fixtures for the outbound checkpoint, all on real loopback sockets: a "forbidden target"
 * that only counts the connections it receives (the SSRF tests assert it sees none), a
 * public-like HTTP server with redirect, echo, slow and oversized answers, and a resolver that
 * plays a hostile DNS server (fixed answers per name, or a sequence for rebinding).
 */

export interface ConnectionRecorder {
  readonly host: string;
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** A TCP listener on `host` that records and drops every connection. */
export async function connectionRecorder(host: string): Promise<ConnectionRecorder> {
  let count = 0;
  const server: TcpServer = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface PublicLikeServer {
  readonly port: number;
  readonly base: string;
  /** Requests received, in order: method, path and headers. */
  readonly seen: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  /** Connections closed by the client before the answer ended. */
  aborted(): number;
  /** TCP connections accepted so far (the server itself would keep each one alive for reuse). */
  connections(): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => void;

/**
 * An HTTP server on 127.0.0.1 standing in for a public host:
 * `/ok` JSON 200; `/redirect?to=URL&status=302`; `/chain/N` redirects N more times then `/ok`;
 * `/echo` answers the request's method, headers and body as JSON; `/slow` never answers;
 * `/drip` sends a byte every 50 ms forever; `/big?bytes=N` declares and sends N bytes;
 * `/stream?bytes=N` sends N bytes without a length, as fast as the client reads; `/status/N` answers status N;
 * `/json?body=...&type=...` answers the given text with the given content type.
 */
export async function publicLikeServer(extra: Record<string, Handler> = {}): Promise<PublicLikeServer> {
  const seen: PublicLikeServer['seen'] = [];
  let aborted = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) aborted++;
      });
      const custom = extra[url.pathname];
      if (custom !== undefined) return custom(req, res, url, body);
      if (url.pathname === '/ok') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (url.pathname === '/redirect') return res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '' }).end();
      if (url.pathname.startsWith('/chain/')) {
        const left = Number(url.pathname.slice('/chain/'.length));
        return res.writeHead(302, { location: left <= 1 ? '/ok' : `/chain/${left - 1}` }).end();
      }
      if (url.pathname === '/echo') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, headers: req.headers, body }));
      if (url.pathname === '/slow') return undefined;
      if (url.pathname === '/drip') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 50);
        timers.add(timer);
        res.on('close', () => clearInterval(timer));
        return undefined;
      }
      if (url.pathname === '/big') {
        const bytes = Number(url.searchParams.get('bytes'));
        return res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) }).end(Buffer.alloc(bytes, 32));
      }
      if (url.pathname === '/stream') {
        const bytes = Number(url.searchParams.get('bytes'));
        res.writeHead(200, { 'content-type': 'application/json' });
        // With backpressure: a client that stops reading leaves most of it unsent.
        let sent = 0;
        const pump = (): void => {
          while (sent < bytes && !res.destroyed) {
            const size = Math.min(16_384, bytes - sent);
            sent += size;
            if (!res.write(Buffer.alloc(size, 32))) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        return pump();
      }
      if (url.pathname.startsWith('/status/')) return res.writeHead(Number(url.pathname.slice(8)), { 'content-type': 'application/json' }).end('{}');
      if (url.pathname === '/json') {
        return res.writeHead(200, { 'content-type': url.searchParams.get('type') ?? 'application/json' }).end(url.searchParams.get('body') ?? '');
      }
      return res.writeHead(404).end();
    });
  });
  let accepted = 0;
  server.on('connection', () => {
    accepted++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    seen,
    aborted: () => aborted,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ScriptedResolver {
  readonly resolve: HostResolver;
  /** How many times each name was resolved. */
  calls(name: string): number;
}

/**
 * A resolver with fixed answers per name; a name mapped to several answer lists gives them in
 * turn (the last one repeats), which is how a rebinding attack looks. Unknown names fail like
 * NXDOMAIN; `delayMs` makes a name slow to answer.
 */
export function scriptedResolver(answers: Record<string, readonly (readonly string[])[]>, delayMs: Record<string, number> = {}): ScriptedResolver {
  const counts = new Map<string, number>();
  return {
    calls: (name) => counts.get(name) ?? 0,
    async resolve(hostname) {
      const n = counts.get(hostname) ?? 0;
      counts.set(hostname, n + 1);
      const delay = delayMs[hostname];
      if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
      const sequence = answers[hostname];
      if (sequence === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      const list = sequence[Math.min(n, sequence.length - 1)] ?? [];
      return list.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
}
