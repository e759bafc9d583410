/**
 * The `portcullis` variant with the audit trail on (issue 8, E3): every BENCH_AUDIT_EVERY-th
 * request (default 10) emits one security event (`post.created`, as a resource-creating route
 * would), and the plugin's trail writes it off the request path, batched and hash-chained, into
 * SQLite through the reference server's own SQL store, after the server's own migrations.
 * Everything else is the `portcullis` variant unchanged, so the ratio between the two is what the
 * trail costs under a steady stream of events: one in ten requests is some 2,500 events a second
 * here, far more security events than a real API's traffic carries; BENCH_AUDIT_EVERY=1 gives
 * the worst case, an event on every request.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createAuthenticateHook, portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from 'portcullis/fastify';
import { createRateLimitPolicy } from 'portcullis/ratelimit';
import { TokenDenylist, createAccessTokenKeys, createAccessTokenVerifier } from 'portcullis/auth';
import { deriveAuditChainKey } from 'portcullis/audit';
import { openDatabase } from '../../packages/server/src/db/open-database.ts';
import { migrateToLatest } from '../../packages/server/src/db/migrate.ts';
import { sqlAuditTrail } from '../../packages/server/src/db/audit-repository.ts';
import { ALLOWED_ORIGIN, ORDER_ROUTE, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_KID } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';

const secret = readSecret();
const every = Number(process.env['BENCH_AUDIT_EVERY'] ?? '10');
if (!Number.isInteger(every) || every < 1) throw new RangeError('BENCH_AUDIT_EVERY must be a positive integer');
let served = 0;
const database = await openDatabase({ kind: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'portcullis-bench-audit-')), 'audit.sqlite') });
await migrateToLatest(database.db);

const options: PortcullisFastifyOptions = {
  cors: { origins: [ALLOWED_ORIGIN], credentials: true },
  transport: { requireHttps: false, trustedProxies: [] },
  limits: { bodyLimit: 1_048_576, jsonDepth: 32 },
  rateLimit: { general: { policy: createRateLimitPolicy({ name: 'api', limit: { algorithm: 'gcra', limit: 60_000_000, windowMs: 60_000 } }) } },
  logger: false,
  // The reference server's defaults (AUDIT_FLUSH_MS, AUDIT_BATCH_SIZE, AUDIT_QUEUE_CAPACITY).
  securityEvents: { trail: sqlAuditTrail(database.db, deriveAuditChainKey(secret)), queue: { flushIntervalMs: 100, maxBatch: 200, capacity: 10_000 }, alerts: false },
  ...(process.env['BENCH_UNDER_VALGRIND'] === '1' ? { loadShedding: { maxEventLoopDelayMs: 3_600_000 } } : {}),
};

const keys = createAccessTokenKeys({ current: { kid: TOKEN_KID, algorithm: 'HS256', key: secret } });
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
  const order = orderReply(parsed.data);
  served += 1;
  // Awaited as the reference server's routes do: a full queue pushes back here instead of dropping.
  if (served % every === 0) await request.securityEvent('post.created', { postId: order.id });
  return order;
});
app.addHook('onClose', async () => {
  await app.closeSecurityEvents();
  await database.close();
});

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
