import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { PortcullisError } from '../errors/index.js';

/**
 * R7: a handler that does not answer in time gets a 503 instead of holding the connection.
 *
 * Why our own and not Fastify's `handlerTimeout`: that one builds an AbortController per request
 * and aborts it when every request closes, creating a DOMException each time (~12% of the CPU of
 * a small JSON route, profiled here). A first version of ours kept in-flight replies in a map
 * swept every 250 ms; that held each reply long enough to be promoted out of the young generation,
 * and old-space GC then took ~20% of the CPU. So the current request hangs off its socket: a
 * connection holds at most its latest reply, the hot path is two property writes, and one coarse
 * sweep over open connections finds the late ones. Cancellation is not lost: a handler that reads
 * `request.signal` sees it aborted when our 503 completes the request.
 *
 * With HTTP/1.1 pipelining only the newest request on a connection is watched; the request
 * timeout still bounds the connection.
 */
const CURRENT = Symbol('portcullis.deadline.reply');
const DEADLINE = Symbol('portcullis.deadline.at');

interface WatchedSocket extends Socket {
  [CURRENT]?: FastifyReply | undefined;
  [DEADLINE]?: number;
}

export class HandlerDeadlines {
  private readonly sockets = new Set<WatchedSocket>();
  private timer: NodeJS.Timeout | undefined;
  /** Time as of the last sweep: deadlines are only checked at sweeps, so this is precise enough. */
  private clock = 0;

  constructor(private readonly sweepEveryMs: number) {}

  /** Watches `reply` until `timeoutMs` from now (to within one sweep). */
  track(reply: FastifyReply, timeoutMs: number): void {
    const socket = reply.raw.socket as WatchedSocket | null;
    if (socket === null) return;
    if (this.timer === undefined) {
      // The clock starts with the sweeps; from then on every sweep keeps it current.
      this.clock = Date.now();
      this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.timer.unref();
    }
    if (!(DEADLINE in socket)) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    }
    socket[CURRENT] = reply;
    socket[DEADLINE] = this.clock + timeoutMs;
  }

  /** A route timed by Fastify's own `handlerTimeout` leaves the default deadline. */
  release(reply: FastifyReply): void {
    const socket = reply.raw.socket as WatchedSocket | null;
    if (socket !== null && socket[CURRENT] === reply) socket[CURRENT] = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    this.clock = now;
    for (const socket of this.sockets) {
      const reply = socket[CURRENT];
      if (reply === undefined || now < (socket[DEADLINE] ?? Infinity)) continue;
      if (reply.sent || reply.raw.writableEnded || reply.raw.destroyed) {
        socket[CURRENT] = undefined;
        continue;
      }
      // A body still arriving is the request timeout's business (408), not the handler's.
      if (!reply.request.raw.complete) continue;
      socket[CURRENT] = undefined;
      reply.log.warn({ code: 'service.timeout' }, 'handler exceeded its deadline');
      // A response already streaming cannot become a 503; cutting it is the only honest end.
      if (reply.raw.headersSent) reply.raw.destroy();
      else reply.send(new PortcullisError('service.timeout', { headers: { 'retry-after': '1' } }));
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sockets.clear();
  }
}
