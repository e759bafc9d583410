/**
 * Reference floor, not a competitor: bare Fastify plus one onRequest hook that copies the exact
 * response headers Portcullis sends on this route (security headers, CORS for the allowed origin,
 * X-Request-ID), precomputed once with the library's own builders so the bytes match. Its gap to
 * bare-fastify is what writing those MISSION-required headers costs in Node and Fastify alone;
 * the gap between it and portcullis is what the rest of the checkpoints cost.
 */
import Fastify from 'fastify';
import { createCorsPolicy } from 'portcullis/cors';
import { buildSecurityHeaders } from 'portcullis/headers';
import { ALLOWED_ORIGIN, ORDER_ROUTE } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady } from '../lib/listen.ts';
import { orderReply, type Order } from '../lib/order.ts';

const headers = Object.freeze({
  ...buildSecurityHeaders().always,
  ...createCorsPolicy({ origins: [ALLOWED_ORIGIN], credentials: true }).forRequest(ALLOWED_ORIGIN),
});

const app = Fastify({ logger: false });

app.addHook('onRequest', (request, reply, done) => {
  reply.headers(headers);
  reply.header('x-request-id', request.id);
  done();
});

app.post(ORDER_ROUTE, async (request) => orderReply(request.body as Order));

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
