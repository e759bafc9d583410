import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';
import { TokenDenylist } from 'portcullis/auth';
import { createAuthenticateHook } from 'portcullis/fastify';
import type { ServerConfig } from '../../config/server-config.js';
import { sqlDenylistBackend } from '../../db/denylist-repository.js';
import type { AppDatabase } from '../../db/open-database.js';
import type { RedisHandle } from '../../infra/redis-connection.js';
import { redisDenylistBackend } from '../../infra/redis-denylist.js';
import { registerAuthRoutes } from '../../routes/auth-routes.js';
import { outboxMailer, type Mailer } from '../mailer.js';
import type { ServerRateLimits } from '../rate-limits.js';
import { createIdentityKit } from './create-identity-kit.js';
import { IdentityService } from './identity-service.js';
import { MfaService } from './mfa-service.js';
import { PasswordResetService } from './password-reset-service.js';
import { createRefreshTransport } from './refresh-transport.js';
import { identitySecurityEvents } from './security-events.js';

/**
 * Wires identity into the app: the kit bound to this server's keys and secrets, the denylist
 * (shared through Redis when configured, else the database), the services, the bearer hook, and
 * the routes (/v1/auth/*, /.well-known/jwks.json when keys are asymmetric).
 */
export interface IdentityModule {
  readonly identity: IdentityService;
  readonly resets: PasswordResetService;
  readonly authenticate: ReturnType<typeof createAuthenticateHook>;
  close(): Promise<void>;
}

export interface IdentityParts {
  readonly config: ServerConfig;
  readonly database: AppDatabase;
  readonly redis?: RedisHandle;
  readonly rateLimits: ServerRateLimits;
  readonly mailer?: Mailer;
}

export async function registerIdentity(app: FastifyInstance, parts: IdentityParts): Promise<IdentityModule> {
  const { config, database } = parts;
  const kit = createIdentityKit(config);
  const backend =
    parts.redis === undefined ? sqlDenylistBackend(database.db) : redisDenylistBackend(parts.redis, `${config.rateLimit.redisPrefix}denylist`);
  const denylist = new TokenDenylist({
    backend,
    syncIntervalMs: config.auth.denylistSyncMs,
    onSyncError: (error) => void app.securityEvent('auth.denylist_sync_failed', {}, {}, { error }),
  });
  await denylist.start().catch((error: unknown) => void app.securityEvent('auth.denylist_sync_failed', { atStart: true }, {}, { error }));
  const prune = setInterval(() => void backend.prune?.(Date.now()).catch(() => undefined), 60_000);
  prune.unref();

  const events = identitySecurityEvents(app);
  const identity = new IdentityService({ db: database.db, kit, denylist, config: config.auth, events });
  const resets = new PasswordResetService({
    db: database.db,
    identity,
    mailer: parts.mailer ?? outboxMailer(config.auth.mailOutboxDir),
    appUrl: config.auth.appUrl,
    events,
    onBackgroundError: (error) => void app.securityEvent('auth.password_reset_failed', {}, {}, { error }),
  });
  const mfa = new MfaService(database.db, identity, events);
  const transport = createRefreshTransport({
    allowedOrigins: [...new Set([...config.corsOrigins.filter((origin) => origin !== '*'), new URL(config.auth.appUrl).origin])],
    secure: config.auth.refreshCookieSecure,
  });
  const authenticate = createAuthenticateHook({
    verify: (token) => kit.verifyAccessToken(token),
    isRevoked: (principal) => denylist.isRevoked(`jti:${principal.tokenId}`) || (principal.sessionId !== undefined && denylist.isRevoked(`sid:${principal.sessionId}`)),
  });

  app.decorateRequest('principal', undefined);
  await app.register(
    async (v1) => {
      registerAuthRoutes(v1, { identity, resets, mfa, transport, rateLimits: parts.rateLimits, authenticate });
    },
    { prefix: '/v1' },
  );
  if (kit.jwks !== undefined) {
    // Read on every request: a previous key leaves the set once it is retired.
    app.get('/.well-known/jwks.json', { config: { portcullis: { policy: policy.public() } } }, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return kit.jwks;
    });
  }

  return {
    identity,
    resets,
    authenticate,
    async close() {
      clearInterval(prune);
      denylist.stop();
      await resets.drain();
    },
  };
}
