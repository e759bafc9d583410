import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { policy } from 'portcullis/authz';
import { PortcullisError } from 'portcullis/errors';
import type { RouteInput, RouteOutput } from 'portcullis/fastify';
import type { z } from 'zod';
import type { ApiKeyService } from '../app/api-keys/api-key-service.js';
import type { ApiKeyInvalidation } from '../app/api-keys/api-key-invalidation.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { findUserById } from '../db/users-repository.js';
import { routeConfig, sends, sendsNothing } from './common-schemas.js';
import { apiKeyList, apiKeyParams, apiKeyUsageView, createApiKeyBody, issuedApiKeyView, rotateApiKeyBody, rotatedApiKeyView } from './api-keys-schemas.js';

/**
 * /v1/api-keys (A8): a signed-in user (bearer access token, not an API key: a key cannot mint or
 * manage keys) creates, lists, revokes and rotates their own keys and reads their usage. The full
 * key and its signing secret appear in exactly two answers, creation and rotation, with
 * `Cache-Control: no-store`; another user's key id answers 404 like a missing one.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface ApiKeyRouteDeps {
  readonly db: Kysely<Database>;
  readonly keys: ApiKeyService;
  readonly invalidation: ApiKeyInvalidation;
  readonly authenticate: Hook;
}

/** People manage their own keys; each handler scopes its query to the caller's user id. */
const OWNER = policy.authenticated('key owner (queries scoped to the caller)');
const ownKey = (input: RouteInput, output: RouteOutput) => routeConfig(OWNER, input, output);

export function registerApiKeyRoutes(v1: FastifyInstance, deps: ApiKeyRouteDeps): void {
  const { keys, invalidation, authenticate } = deps;
  const userIdOf = (request: FastifyRequest) => (request.principal as NonNullable<FastifyRequest['principal']>).userId;

  v1.post('/api-keys', { onRequest: authenticate, config: ownKey({ body: createApiKeyBody }, sends(issuedApiKeyView, 201)) }, async (request, reply) => {
    const body = request.body as z.infer<typeof createApiKeyBody>;
    const user = await findUserById(deps.db, userIdOf(request));
    if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
    const issued = await keys.create({ id: user.id, role: user.role }, body);
    await request.securityEvent('api_key.created', { keyId: issued.id, userId: user.id, scopes: issued.scopes });
    reply.code(201).header('cache-control', 'no-store');
    return issued;
  });

  v1.get('/api-keys', { onRequest: authenticate, config: ownKey({}, sends(apiKeyList)) }, async (request) => ({ keys: await keys.list(userIdOf(request)) }));

  v1.get('/api-keys/:id/usage', { onRequest: authenticate, config: ownKey({ params: apiKeyParams }, sends(apiKeyUsageView)) }, async (request) => {
    const { id } = request.params as z.infer<typeof apiKeyParams>;
    return keys.usage(userIdOf(request), id);
  });

  v1.delete('/api-keys/:id', { onRequest: authenticate, config: ownKey({ params: apiKeyParams }, sendsNothing) }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof apiKeyParams>;
    await keys.revoke(userIdOf(request), id);
    await invalidation.announce(id);
    await request.securityEvent('api_key.revoked', { keyId: id, userId: userIdOf(request) });
    return reply.code(204).send();
  });

  v1.post('/api-keys/:id/rotate', { onRequest: authenticate, config: ownKey({ params: apiKeyParams, body: rotateApiKeyBody }, sends(rotatedApiKeyView)) }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof apiKeyParams>;
    const { graceSeconds } = request.body as z.infer<typeof rotateApiKeyBody>;
    const issued = await keys.rotate(userIdOf(request), id, graceSeconds);
    await invalidation.announce(id);
    await request.securityEvent('api_key.rotated', { keyId: id, userId: userIdOf(request), graceSeconds });
    reply.header('cache-control', 'no-store');
    return issued;
  });
}
