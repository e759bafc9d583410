import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';
import { PortcullisError } from 'portcullis/errors';
import type { AppDatabase } from '../db/open-database.js';
import type { RedisHandle } from '../infra/redis-connection.js';
import { sends } from './common-schemas.js';
import { liveView, readyView } from './service-schemas.js';

/**
 * Liveness answers as long as the process serves HTTP; readiness also needs the database and,
 * when configured, Redis, so a load balancer stops sending traffic to an instance that cannot
 * serve it.
 */
export function registerHealthRoutes(app: FastifyInstance, database: AppDatabase, redis: RedisHandle | undefined): void {
  // Probes come from the orchestrator many times a minute: never rate limited or shed.
  const probe = { rateLimit: false as const, policy: policy.public() };
  app.get('/health', { config: { portcullis: { ...probe, output: sends(liveView) } } }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { portcullis: { ...probe, output: sends(readyView) } } }, async () => {
    const checks: Record<string, 'ok' | 'not_configured'> = {};
    try {
      await database.ping();
      checks['database'] = 'ok';
    } catch (cause) {
      throw new PortcullisError('service.unavailable', { detail: 'The database is not reachable.', headers: { 'retry-after': '5' }, cause });
    }
    if (redis === undefined) {
      checks['redis'] = 'not_configured';
    } else {
      try {
        await redis.ping();
        checks['redis'] = 'ok';
      } catch (cause) {
        throw new PortcullisError('service.unavailable', { detail: 'Redis is not reachable.', headers: { 'retry-after': '5' }, cause });
      }
    }
    return { status: 'ready', checks };
  });
}
