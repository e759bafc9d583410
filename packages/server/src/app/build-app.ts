import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from 'portcullis/fastify';
import type { ServerConfig } from '../config/server-config.js';
import type { AppDatabase } from '../db/open-database.js';
import type { RedisHandle } from '../infra/redis-connection.js';
import { registerHealthRoutes } from '../routes/health.js';
import { registerV1Index } from '../routes/v1-index.js';
import { registerIdentity } from './auth/identity-module.js';
import { registerApiKeys } from './api-keys/api-key-module.js';
import { registerUsersRoutes } from '../routes/users-routes.js';
import { registerAdminRoutes } from '../routes/admin-routes.js';
import { registerPostsRoutes } from '../routes/posts-routes.js';
import { registerWebhooks, type WebhookModule } from './webhooks/webhook-module.js';
import { registerAttachments } from './attachments/attachments-module.js';
import { registerAuditRoutes } from '../routes/audit-routes.js';
import { securityEventOptionsFor } from './audit/security-event-options.js';
import { startAuditCheckpoints } from './audit/audit-checkpoint.js';
import { RBAC } from './permissions.js';
import type { Mailer } from './mailer.js';
import { buildServerRateLimits, type ServerRateLimits } from './rate-limits.js';
import { redisLimiterStores } from './redis-limiter-stores.js';
import { attachMetricsListener, createMetricsListener, serverMetricsFor } from './metrics-listener.js';
import { versionLifecycles } from './api-versions-config.js';
import { registerOpenApiRoutes } from '../routes/openapi-routes.js';
import { applyApiVersion } from 'portcullis/fastify';

export interface AppParts {
  readonly config: ServerConfig;
  readonly database: AppDatabase;
  readonly redis?: RedisHandle;
  /** TLS material when the server terminates TLS itself. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Where log lines go; stdout by default. Tests capture them here. */
  readonly logStream?: DestinationStream;
  /** Extra routes under /v1 (tests use it to add probe routes to the real app). */
  readonly extraV1Routes?: (v1: FastifyInstance, context: { readonly rateLimits: ServerRateLimits }) => void;
  /** Where password-reset mail goes; the development outbox (AUTH's MAIL_OUTBOX_DIR) by default. */
  readonly mailer?: Mailer;
}

/** Health probes stay reachable over plain HTTP: orchestrators probe from inside the cluster. */
export const HEALTH_PATHS = ['/health', '/ready'];

export function portcullisOptionsFor(
  config: ServerConfig,
  parts: Pick<AppParts, 'tls' | 'logStream'>,
  rateLimits?: ServerRateLimits,
): PortcullisFastifyOptions {
  return {
    transport: {
      requireHttps: config.requireHttps,
      trustedProxies: config.trustedProxies,
      httpsExemptPaths: HEALTH_PATHS,
      ...(parts.tls === undefined ? {} : { tls: parts.tls }),
    },
    cors: config.corsOrigins.length === 0 ? false : { origins: config.corsOrigins, credentials: config.corsCredentials },
    limits: config.limits,
    ...(rateLimits === undefined ? {} : { rateLimit: { general: rateLimits.general } }),
    loadShedding: config.loadShedMaxDelayMs === 0 ? false : { maxEventLoopDelayMs: config.loadShedMaxDelayMs, exemptPaths: HEALTH_PATHS },
    logger: { level: config.logLevel, ...(parts.logStream === undefined ? {} : { stream: parts.logStream }) },
    // Every route declares who may call it, or the server does not start (Z1).
    authorization: { permissions: RBAC },
  };
}

/**
 * The reference API: Fastify 5 with every Portcullis checkpoint, and only library pieces.
 * Closing the app closes the database and Redis (graceful shutdown drains requests first).
 */
export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const storeFor = redisLimiterStores(parts.redis, parts.config.rateLimit.redisPrefix);
  const rateLimits = buildServerRateLimits(parts.config, storeFor);
  // E3/E4: security events go to the log, the audit trail in this database, and the alert rules.
  // E5: metrics exist only when METRICS_PORT is set; otherwise the plugin adds none of their hooks.
  // The audit queue gauge reads the plugin's queue at scrape time, long after `app` exists.
  const metrics = serverMetricsFor(parts.config, () => app.auditQueueDepth());
  const options = {
    ...portcullisOptionsFor(parts.config, parts, rateLimits),
    securityEvents: securityEventOptionsFor(parts.config, parts.database),
    ...(metrics === undefined ? {} : { metrics }),
  };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);

  registerHealthRoutes(app, parts.database, parts.redis);
  if (metrics !== undefined && parts.config.metrics !== undefined) attachMetricsListener(app, createMetricsListener(parts.config.metrics, metrics, app.log));
  // L2: each version's headers and 410 are computed once; L1: the document is built when ready.
  const versions = versionLifecycles(parts.config.apiVersions);
  for (const [name, lifecycle] of Object.entries(versions)) applyApiVersion(app, `/${name}`, lifecycle);
  registerOpenApiRoutes(app, { versions });
  const identity = await registerIdentity(app, {
    config: parts.config,
    database: parts.database,
    rateLimits,
    ...(parts.redis === undefined ? {} : { redis: parts.redis }),
    ...(parts.mailer === undefined ? {} : { mailer: parts.mailer }),
  });
  const apiKeys = await registerApiKeys(app, {
    config: parts.config,
    database: parts.database,
    storeFor,
    authenticate: identity.authenticate,
    ...(parts.redis === undefined ? {} : { redis: parts.redis }),
  });
  let webhooks: WebhookModule | undefined;
  await app.register(
    async (v1) => {
      registerV1Index(v1);
      registerAdminRoutes(v1, { db: parts.database.db, kind: parts.database.kind, identity: identity.identity, authenticate: identity.authenticate });
      registerUsersRoutes(v1, { db: parts.database.db, canRead: apiKeys.byKeyOr(['profile:read']), canWrite: apiKeys.byKeyOr(['profile:write']), signed: apiKeys.signed });
      const attachments = await registerAttachments(v1, { db: parts.database.db, config: parts.config, storeFor, byKeyOr: (scopes) => apiKeys.byKeyOr(scopes) });
      // V7: webhooks follow post events; their deliveries run off the request path.
      const hooks = registerWebhooks(v1, { db: parts.database.db, settings: parts.config.webhooks, identity: identity.identity.kit, byKeyOr: (scopes) => apiKeys.byKeyOr(scopes), log: app.log });
      webhooks = hooks;
      registerPostsRoutes(v1, {
        db: parts.database.db,
        byKeyOr: (scopes) => apiKeys.byKeyOr(scopes),
        detachFiles: (postId) => attachments.detachFiles(postId),
        onPostEvent: (type, post) => hooks.recordPostEvent(type, post),
      });
      registerAuditRoutes(v1, { db: parts.database.db, authenticate: identity.authenticate });
      parts.extraV1Routes?.(v1, { rateLimits });
    },
    { prefix: '/v1' },
  );

  let checkpoints: { stop(): void } | undefined;
  app.addHook('onReady', async () => {
    webhooks?.start();
    // E3: the chain head, logged where the database's writers cannot rewind it.
    checkpoints = startAuditCheckpoints(app, parts.database.db, parts.config.audit.checkpointMs);
  });
  app.addHook('onClose', async () => {
    checkpoints?.stop();
    try {
      // Deliveries in flight finish (or time out) and are recorded before the database closes.
      await webhooks?.close();
      await apiKeys.close();
      await identity.close();
      // The trail's last events are written before its database closes; a rejection (events the
      // bus could not write) is already logged as audit.write_failed and still closes the rest.
      await app.closeSecurityEvents();
    } finally {
      await parts.redis?.close();
      await parts.database.close();
    }
  });
  for (const warning of parts.config.warnings) void app.securityEvent('config.warning', { warning });
  return app;
}
