/**
 * Baseline: Fastify 5 with no plugins and the route only. Every ratio in the report is taken
 * against this, so it does nothing beyond Fastify's own routing and JSON parsing.
 */
import Fastify from 'fastify';
import { ORDER_ROUTE } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady } from '../lib/listen.ts';
import { orderReply, type Order } from '../lib/order.ts';

const app = Fastify({ logger: false });

app.post(ORDER_ROUTE, async (request) => orderReply(request.body as Order));

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
