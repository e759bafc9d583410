/**
 * Fastify 5 with the official plugins a team would reach for: @fastify/helmet, @fastify/cors,
 * @fastify/rate-limit, @fastify/jwt and the zod type provider for body validation.
 */
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyJwt from '@fastify/jwt';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ALLOWED_ORIGIN, ORDER_ROUTE, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { orderReply, orderReplySchema, orderSchema } from '../lib/order.ts';

const secret = readSecret();
const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();

app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);

await app.register(fastifyHelmet);
await app.register(fastifyCors, { origin: [ALLOWED_ORIGIN], credentials: true });
// A limit no run can reach: we measure the limiter's bookkeeping, never a 429.
await app.register(fastifyRateLimit, { max: 1e9, timeWindow: 60_000 });
// The verified-token cache stays off (its default): the load sends one token over and over,
// and a cache would turn the JWT check into a map lookup no real traffic gets.
await app.register(fastifyJwt, { secret, verify: { algorithms: ['HS256'], allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE } });

app.addHook('onRequest', async (request) => {
  await request.jwtVerify();
});

app.post(
  ORDER_ROUTE,
  { schema: { body: orderSchema, response: { 200: orderReplySchema } } },
  async (request) => orderReply(request.body),
);

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
