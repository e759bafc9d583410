/**
 * The portcullis variant with an API key instead of a bearer access token (issue 5): the same
 * checkpoints, general rate limit and zod validation, and `createApiKeyAuthenticateHook` with a
 * scope check, through the library's cached key verifier. The key is the run's, minted by the
 * orchestrator; its hash sits in an in-memory lookup standing in for the database, which the
 * verifier asks once per key per cache lifetime (5 s), as the reference server asks SQLite.
 */
import Fastify from 'fastify';
import { createApiKeyAuthenticateHook, portcullisPlugin, portcullisServerOptions } from 'portcullis/fastify';
import { createApiKeyVerifier, hashApiKey, type StoredApiKey } from 'portcullis/auth';
import { API_KEY_ENV, ORDER_ROUTE } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';
import { portcullisBenchOptions } from '../lib/portcullis-variant.ts';

const options = portcullisBenchOptions();

const hashSecret = readSecret();
const apiKey = process.env[API_KEY_ENV] ?? '';
const stored: StoredApiKey = {
  id: 'key_bench',
  userId: 'user_bench',
  name: 'bench',
  scopes: ['orders:write'],
  keyHash: hashApiKey(hashSecret, apiKey),
  expiresAt: undefined,
  secretExpiresAt: undefined,
  revokedAt: undefined,
  rateLimit: undefined,
  quota: undefined,
};
const verifier = createApiKeyVerifier({
  hashSecret,
  lookup: { findByHash: async (keyHash) => (keyHash === stored.keyHash ? stored : undefined) },
});
const byApiKey = createApiKeyAuthenticateHook({ verifier, scopes: ['orders:write'] });

const app = Fastify(portcullisServerOptions(options));
await app.register(portcullisPlugin, options);
app.decorateRequest('apiKey', undefined);

app.post(ORDER_ROUTE, { onRequest: byApiKey }, async (request, reply) => {
  const parsed = orderSchema.safeParse(request.body);
  if (!parsed.success) {
    return reply.code(400).send(invalidOrderReply);
  }
  return orderReply(parsed.data);
});

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
