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
import { createAuthenticateHook, portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from 'portcullis/fastify';
import { createRateLimitPolicy } from 'portcullis/ratelimit';
import { TokenDenylist, createAccessTokenKeys, createAccessTokenVerifier } from 'portcullis/auth';
import { ALLOWED_ORIGIN, ORDER_ROUTE, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_KID } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';

const options: PortcullisFastifyOptions = {
  cors: { origins: [ALLOWED_ORIGIN], credentials: true },
  // The bench speaks plain HTTP on loopback; HTTPS enforcement is measured as its check, not TLS.
  transport: { requireHttps: false, trustedProxies: [] },
  limits: { bodyLimit: 1_048_576, jsonDepth: 32 },
  rateLimit: { general: { policy: createRateLimitPolicy({ name: 'api', limit: { algorithm: 'gcra', limit: 60_000_000, windowMs: 60_000 } }) } },
  logger: false,
  // Under valgrind (instructions.ts) every event-loop turn is ~50x slower; only the threshold moves,
  // so the shedder still samples and checks as it does in the wall-clock runs.
  ...(process.env['BENCH_UNDER_VALGRIND'] === '1' ? { loadShedding: { maxEventLoopDelayMs: 3_600_000 } } : {}),
};

const keys = createAccessTokenKeys({ current: { kid: TOKEN_KID, algorithm: 'HS256', key: readSecret() } });
const verifier = createAccessTokenVerifier({ keys, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
const denylist = new TokenDenylist();
const authenticate = createAuthenticateHook({
  verify: (token) => {
    const claims = verifier.verify(token);
    return { userId: claims.sub, role: claims.role, sessionId: undefined, tokenId: claims.jti, expiresAt: claims.exp };
  },
  isRevoked: (principal) => denylist.isRevoked(`jti:${principal.tokenId}`),
});

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
