/**
 * Fastify 5 with Portcullis: the foundation checkpoints (security headers, CORS, request id,
 * transport, body/depth limits, key guard, problem+json), load shedding, and the general rate
 * limit per client address (GCRA in memory, with the IETF RateLimit fields on every response).
 * The limit is set far above what the bench sends, as it is for the other stacks, so every request
 * pays for a real decision and none is refused. The route authenticates its bearer token as the
 * reference server does (portcullis/auth's HS256 verifier with iss/aud/kid pinned, then the
 * in-process revocation denylist, through the library's authenticate hook). The body is checked
 * with zod's safeParse in the handler, so validation costs the same as on the other validating sides.
 */
import Fastify from 'fastify';
import { portcullisPlugin, portcullisServerOptions } from 'portcullis/fastify';
import { ORDER_ROUTE } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';
import { bearerAuthenticateHook, portcullisBenchOptions } from '../lib/portcullis-variant.ts';

const options = portcullisBenchOptions();
const authenticate = bearerAuthenticateHook(readSecret());

const app = Fastify(portcullisServerOptions(options));
await app.register(portcullisPlugin, options);
app.decorateRequest('principal', undefined);

app.post(ORDER_ROUTE, { onRequest: authenticate }, async (request, reply) => {
  const parsed = orderSchema.safeParse(request.body);
  if (!parsed.success) {
    return reply.code(400).send(invalidOrderReply);
  }
  return orderReply(parsed.data);
});

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
