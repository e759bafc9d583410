import type { FastifyReply } from 'fastify';
import { PortcullisError } from '../errors/index.js';

/**
 * R7: a handler that does not answer in time gets a 503 instead of holding the connection. One
 * coarse sweep over in-flight replies replaces a timer per request; finished replies are dropped
 * lazily, so the hot path costs one Set insertion and no hook at the end of the request.
 */
export class HandlerDeadlines {
  private readonly inFlight = new Map<FastifyReply, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sweepEveryMs: number) {}

  track(reply: FastifyReply, deadline: number): void {
    this.inFlight.set(reply, deadline);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.timer.unref();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [reply, deadline] of this.inFlight) {
      if (reply.sent || reply.raw.writableEnded || reply.raw.destroyed) {
        this.inFlight.delete(reply);
      } else if (now >= deadline) {
        this.inFlight.delete(reply);
        reply.log.warn({ code: 'service.timeout' }, 'handler exceeded its deadline');
        reply.send(new PortcullisError('service.timeout', { headers: { 'retry-after': '1' } }));
      }
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.inFlight.clear();
  }
}
