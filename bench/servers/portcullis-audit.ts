/**
 * The `portcullis` variant with the audit trail on (issue 8, E3): every BENCH_AUDIT_EVERY-th
 * request (default 10) emits one security event (`post.created`, as a resource-creating route
 * would), and the plugin's trail writes it off the request path, batched and hash-chained, into
 * SQLite through the reference server's own SQL store, after the server's own migrations.
 * Everything else is the `portcullis` variant unchanged, so the ratio between the two is what the
 * trail costs under a steady stream of events: one in ten requests is some 2,500 events a second
 * here, far more security events than a real API's traffic carries; BENCH_AUDIT_EVERY=1 gives
 * the worst case, an event on every request.
 *
 * With BENCH_AUDIT_ALTERNATE_MS set (audit/alternating.ts sets it), the process alternates: events
 * flow in one slice of that length and none in the next, its trail configured and idle, and it
 * prints each slice's measurements when the driver stops recording (lib/alternating-slices.ts).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { portcullisPlugin, portcullisServerOptions } from 'portcullis/fastify';
import { deriveAuditChainKey } from 'portcullis/audit';
import { openDatabase } from '../../packages/server/src/db/open-database.ts';
import { migrateToLatest } from '../../packages/server/src/db/migrate.ts';
import { sqlAuditTrail } from '../../packages/server/src/db/audit-repository.ts';
import { AlternatingSlices } from '../lib/alternating-slices.ts';
import { ORDER_ROUTE } from '../lib/fixture.ts';
import { LISTEN_HOST, announceReady, readSecret } from '../lib/listen.ts';
import { invalidOrderReply, orderReply, orderSchema } from '../lib/order.ts';
import { bearerAuthenticateHook, portcullisBenchOptions } from '../lib/portcullis-variant.ts';

const secret = readSecret();
const every = Number(process.env['BENCH_AUDIT_EVERY'] ?? '10');
if (!Number.isInteger(every) || every < 1) throw new RangeError('BENCH_AUDIT_EVERY must be a positive integer');
let served = 0;
const alternateMs = Number(process.env['BENCH_AUDIT_ALTERNATE_MS'] ?? '0');
const slices = alternateMs > 0 ? new AlternatingSlices(alternateMs, Number(process.env['BENCH_AUDIT_GUARD_MS'] ?? '400')) : undefined;
// One file per machine, emptied at each start: the bench stops servers with a signal, so a
// per-run directory would be left behind whenever the stop comes before the close finishes.
const file = join(tmpdir(), `portcullis-bench-audit-${process.getuid?.() ?? 0}.sqlite`);
const removeFiles = (): void => ['', '-wal', '-shm', '-journal'].forEach((suffix) => rmSync(`${file}${suffix}`, { force: true }));
removeFiles();
const database = await openDatabase({ kind: 'sqlite', file });
await migrateToLatest(database.db);

/** A queue setting from the environment (to try others), else the reference server's default. */
function queueSetting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
const queue = {
  // The reference server's defaults (AUDIT_FLUSH_MS, AUDIT_BATCH_SIZE, AUDIT_QUEUE_CAPACITY).
  flushIntervalMs: queueSetting('BENCH_AUDIT_FLUSH_MS', 100),
  maxBatch: queueSetting('BENCH_AUDIT_BATCH', 200),
  capacity: 10_000,
};
const options = portcullisBenchOptions({
  securityEvents: { trail: sqlAuditTrail(database.db, deriveAuditChainKey(secret), { sqlite: database.sqlite }), queue, alerts: false },
});
const authenticate = bearerAuthenticateHook(secret);

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
  slices?.served();
  // Awaited as the reference server's routes do: a full queue pushes back here instead of dropping.
  if (served % every === 0 && (slices?.on ?? true)) await request.securityEvent('post.created', { postId: order.id });
  return order;
});
app.addHook('onClose', async () => {
  await app.closeSecurityEvents();
  await database.close();
  removeFiles();
});

await app.listen({ host: LISTEN_HOST, port: 0 });
announceReady(app.server);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
