import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import {
  ApiKeyUsageRecorder,
  MemoryNonceStore,
  RedisNonceStore,
  createApiKeyVerifier,
  createSignedRequestVerifier,
  type ApiKeyVerifier,
} from 'portcullis/auth';
import { RepeatGate } from 'portcullis/audit';
import { createApiKeyAuthenticateHook, createSignedRequestHook } from 'portcullis/fastify';
import type { ServerConfig } from '../../config/server-config.js';
import { recordApiKeyUsage } from '../../db/api-keys-repository.js';
import type { AppDatabase } from '../../db/open-database.js';
import type { RedisHandle } from '../../infra/redis-connection.js';
import { registerApiKeyRoutes } from '../../routes/api-keys-routes.js';
import type { LimiterStoreFactory } from '../rate-limits.js';
import { localInvalidation, redisInvalidation, type ApiKeyInvalidation } from './api-key-invalidation.js';
import { createApiKeyLimits } from './api-key-limits.js';
import { ApiKeyService } from './api-key-service.js';

/**
 * Wires API keys and signed requests into the app (A8, A9): the service and its routes, the
 * verifier with its cache, revocation reaching every instance (Redis pub/sub when configured,
 * and the cache lifetime as the bound), batched usage, per-key limits, and the two hooks routes
 * use: `byKeyOr(scopes)` (an API key with those scopes, or else a bearer access token) and
 * `signed` (a request authenticated by an API key must carry a valid signature).
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

export interface ApiKeyModule {
  readonly keys: ApiKeyService;
  readonly verifier: ApiKeyVerifier;
  /** onRequest hooks: an API key holding `scopes` (then its own limits), or else `authenticate`. */
  byKeyOr(scopes: readonly string[]): Hook[];
  /** preHandler: requests authenticated by an API key must be signed with its signing secret. */
  readonly signed: Hook;
  close(): Promise<void>;
}

export interface ApiKeyParts {
  readonly config: ServerConfig;
  readonly database: AppDatabase;
  readonly redis?: RedisHandle;
  readonly storeFor: LimiterStoreFactory;
  /** The bearer access-token hook, for routes that take either credential. */
  readonly authenticate: Hook;
}

export async function registerApiKeys(app: FastifyInstance, parts: ApiKeyParts): Promise<ApiKeyModule> {
  const { config, database, redis } = parts;
  const settings = config.auth.apiKeys;
  const hashSecret = config.secrets.appSecret;
  const keys = new ApiKeyService({ db: database.db, hashSecret, environment: config.env === 'production' ? 'live' : 'test', settings });
  const verifier = createApiKeyVerifier({ lookup: keys.lookup, hashSecret, cacheTtlMs: settings.cacheTtlMs });
  const logError = (event: 'api_key.invalidation_failed' | 'api_key.usage_write_failed') => (error: unknown) => void app.securityEvent(event, {}, {}, { error });
  const forget = (keyId: string) => verifier.forget(keyId);
  const invalidation: ApiKeyInvalidation =
    redis === undefined ? localInvalidation(forget) : redisInvalidation(redis, `${config.rateLimit.redisPrefix}api-keys:forget`, forget, logError('api_key.invalidation_failed'));

  const usage = new ApiKeyUsageRecorder({ sink: (batch) => recordApiKeyUsage(database.db, batch), onError: logError('api_key.usage_write_failed') });
  usage.start(settings.usageFlushMs);
  const nonces = redis === undefined ? new MemoryNonceStore() : new RedisNonceStore({ client: redis.client, prefix: `${config.rateLimit.redisPrefix}nonce:` });
  const signatures = createSignedRequestVerifier({ nonces, toleranceSeconds: settings.signatureToleranceSeconds });
  const keyLimits = createApiKeyLimits(config, parts.storeFor);

  app.decorateRequest('apiKey', undefined);
  // E3: a key's use is an audit event too, but once an hour per key and instance, not per request.
  const usedRecently = new RepeatGate(60 * 60_000);
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.apiKey !== undefined) {
      const keyId = request.apiKey.key.id;
      usage.record(keyId, request.routeOptions.url ?? '*', Date.now());
      if (usedRecently.admits(keyId)) void request.securityEvent('api_key.used', { keyId, userId: request.apiKey.key.userId });
    }
    done();
  });
  await app.register(
    async (v1) => {
      registerApiKeyRoutes(v1, { db: database.db, keys, invalidation, authenticate: parts.authenticate });
    },
    { prefix: '/v1' },
  );

  return {
    keys,
    verifier,
    byKeyOr: (scopes) => [createApiKeyAuthenticateHook({ verifier, scopes, otherwise: parts.authenticate }), keyLimits],
    signed: createSignedRequestHook({
      verifier: signatures,
      credentialOf: (request) => (request.apiKey === undefined ? undefined : { secret: keys.signingSecretFor(request.apiKey.key.keyHash), scope: request.apiKey.key.id }),
    }),
    async close() {
      await usage.close();
      await invalidation.close();
      if (nonces instanceof MemoryNonceStore) nonces.close();
    },
  };
}
