import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { openRedis, type RedisHandle } from '../infra/redis-connection.js';
import { buildApp, type AppParts } from './build-app.js';
import { startMetricsListener } from './metrics-listener.js';

const REDIS_START_WAIT_MS = 3_000;

export interface StartOptions {
  readonly logStream?: DestinationStream;
  readonly extraV1Routes?: AppParts['extraV1Routes'];
}

/**
 * Opens storage, runs migrations, builds the app and listens. Used by `main.ts` and by the
 * end-to-end tests, so the tests exercise exactly what production runs.
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<FastifyInstance> {
  // The app (and its logger) exists only after storage is open; errors before that are thrown.
  let app: FastifyInstance | undefined;
  const database = await openDatabase(config.database, {
    onBackgroundError: (error) => void app?.securityEvent('database_error', {}, {}, { error }),
  });
  let redis: RedisHandle | undefined;
  try {
    await migrateToLatest(database.db);
    const tls =
      config.tls === undefined ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
    let redisReady = true;
    if (config.redisUrl !== undefined) {
      redis = openRedis(config.redisUrl, (error) => void app?.securityEvent('redis_error', {}, {}, { error }));
      // Give Redis a moment before building the app, so the token denylist loads from it at start
      // (else a revoked token passes here until the first sync) and the first requests are not
      // decided by the rate limiters' fail mode only because the connection was still opening.
      redisReady = await redis.ping(REDIS_START_WAIT_MS).then(
        () => true,
        () => false,
      );
    }
    app = await buildApp({
      config,
      database,
      ...(redis === undefined ? {} : { redis }),
      ...(tls === undefined ? {} : { tls }),
      ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
      ...(options.extraV1Routes === undefined ? {} : { extraV1Routes: options.extraV1Routes }),
    });
    if (!redisReady) void app.securityEvent('redis_unavailable_at_start', { detail: 'rate limits use their fail mode until Redis answers' });
    await app.listen({ host: config.host, port: config.port });
    // E5: the metrics listener opens only once the API listens (never for the routes CLI).
    await startMetricsListener(app);
    return app;
  } catch (error) {
    await redis?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Graceful shutdown: stop accepting, let in-flight requests finish (new requests on kept-alive
 * connections get 503), close pools; give up after `timeoutMs` so a stuck request cannot keep a
 * terminating pod alive forever.
 */
export async function stopServer(app: FastifyInstance, timeoutMs: number): Promise<'drained' | 'timed_out'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), timeoutMs);
    timer.unref();
  });
  const outcome = await Promise.race([app.close().then(() => 'drained' as const), timedOut]);
  clearTimeout(timer);
  return outcome;
}
