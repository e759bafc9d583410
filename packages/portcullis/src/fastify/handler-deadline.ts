import type { ServerResponse } from 'node:http';
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
 * and old-space GC then took ~20% of the CPU. A second one hung the latest reply off its socket,
 * which still held every finished reply until the connection's next request: under load each
 * young-generation GC copied those too (~2k instructions a request, callgrind). So now each
 * response carries its own reply and deadline (two property writes on an object that dies with
 * the request), and one coarse sweep over open connections looks at the response each one is
 * writing: Node's `socket._httpMessage`, which Node clears as soon as that response finishes.
 * Cancellation is not lost: a handler that reads `request.signal` sees it aborted when our 503
 * completes the request.
 *
 * With HTTP/1.1 pipelining, a queued response keeps its deadline and is watched once it reaches
 * the front of its connection; the request timeout still bounds the connection.
 */
const REPLY = Symbol('portcullis.deadline.reply');
const DEADLINE = Symbol('portcullis.deadline.at');
const WATCHED = Symbol('portcullis.deadline.watched');

interface TimedResponse extends ServerResponse {
  [REPLY]?: FastifyReply | undefined;
  [DEADLINE]?: number;
}

interface WatchedSocket extends Socket {
  [WATCHED]?: true;
  /** Node's response currently written on this connection; null once it has finished. */
  _httpMessage?: TimedResponse | null;
}

export class HandlerDeadlines {
  private readonly sockets = new Set<WatchedSocket>();
  private timer: NodeJS.Timeout | undefined;
  /** Time as of the last sweep: deadlines are only checked at sweeps, so this is precise enough. */
  private clock = 0;

  constructor(private readonly sweepEveryMs: number) {}

  /** Watches `reply` until `timeoutMs` from now (to within one sweep). */
  track(reply: FastifyReply, timeoutMs: number): void {
    const socket = reply.request.raw.socket as WatchedSocket | null;
    if (socket === null) return;
    if (this.timer === undefined) {
      // The clock starts with the sweeps; from then on every sweep keeps it current.
      this.clock = Date.now();
      this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.timer.unref();
    }
    if (socket[WATCHED] !== true) {
      socket[WATCHED] = true;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    }
    const response = reply.raw as TimedResponse;
    response[REPLY] = reply;
    response[DEADLINE] = this.clock + timeoutMs;
  }

  /** A route timed by Fastify's own `handlerTimeout` leaves the default deadline. */
  release(reply: FastifyReply): void {
    (reply.raw as TimedResponse)[REPLY] = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    this.clock = now;
    for (const socket of this.sockets) {
      const response = socket._httpMessage;
      if (response === null || response === undefined) continue;
      const reply = response[REPLY];
      if (reply === undefined || now < (response[DEADLINE] ?? Infinity)) continue;
      if (reply.sent || response.writableEnded || response.destroyed) {
        response[REPLY] = undefined;
        continue;
      }
      // A body still arriving is the request timeout's business (408), not the handler's.
      if (!reply.request.raw.complete) continue;
      response[REPLY] = undefined;
      reply.log.warn({ code: 'service.timeout' }, 'handler exceeded its deadline');
      // A response already streaming cannot become a 503; cutting it is the only honest end.
      if (response.headersSent) response.destroy();
      else reply.send(new PortcullisError('service.timeout', { headers: { 'retry-after': '1' } }));
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sockets.clear();
  }
}
