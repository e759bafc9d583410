import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A refused upload must not keep its connection busy (V5). Left alone, Node reads and discards
 * the rest of an unread request body so the connection can be reused, for as long as the client
 * cares to send: a refused client could hold a worker's socket with an endless body. So a refusal
 * (4xx/5xx) of an upload whose body has not fully arrived answers with `Connection: close`, the
 * body is no longer read, and the socket is destroyed shortly after the answer is flushed. The
 * short linger lets the client read the answer before the reset that closing over unread data
 * causes; a client that keeps sending is cut off all the same once it ends.
 */

/** How long a refused connection may stay open after its answer has been written. */
export const REFUSED_UPLOAD_LINGER_MS = 250;

/** Fastify `onSend` hook for the upload scope: see the module header. */
export async function closeRefusedUpload(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode < 400 || request.raw.complete) return payload;
  reply.header('connection', 'close');
  const socket = request.raw.socket;
  reply.raw.once('finish', () => {
    // Node would now start draining the body (res finish -> req._dump); stop reading it.
    request.raw.unpipe();
    setImmediate(() => socket.pause());
    const timer = setTimeout(() => socket.destroy(), REFUSED_UPLOAD_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  return payload;
}
