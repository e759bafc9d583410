import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { looksLikeApiKey } from '../auth/api-keys/api-key-format.js';
import { requireScopes } from '../auth/api-keys/api-key-scopes.js';
import type { ApiKeyVerifier, VerifiedApiKey } from '../auth/api-keys/api-key-verifier.js';
import { PortcullisError, isPortcullisError } from '../errors/index.js';
import { credentialKindsOfHook, markCredentialHook } from './openapi-credentials.js';

/**
 * A8 in Fastify: authenticates an API key from `X-API-Key` or `Authorization: Bearer pk_...`,
 * then checks the route's scopes (403 naming the missing one). A hot key is answered from the
 * verifier's cache without a promise or a storage round trip; a cold one costs one lookup. A
 * request with no API key goes to `otherwise` (e.g. the bearer-token hook), so one route can take
 * both kinds of credential; without `otherwise` it is refused with 401.
 *
 * Sending a key both ways, or `X-API-Key` twice, is refused: which one would count is exactly the
 * kind of ambiguity an attacker looks for. A storage failure is a 503, never a 500 or a pass.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified API key on routes that took one; undefined elsewhere. */
    apiKey: VerifiedApiKey | undefined;
  }
}

export interface ApiKeyAuthenticateOptions {
  readonly verifier: ApiKeyVerifier;
  /** Scopes the route requires of a key; default none. */
  readonly scopes?: readonly string[];
  /** For requests that carry no API key; without it they are refused with 401. */
  readonly otherwise?: Hook;
}

const CHALLENGE = { 'www-authenticate': 'ApiKey realm="api"' };

function refused(code: 'auth.unauthenticated' | 'auth.api_key_invalid' | 'auth.api_key_expired', cause?: unknown): PortcullisError {
  return new PortcullisError(code, { headers: CHALLENGE, ...(cause === undefined ? {} : { cause }) });
}

/** The key the request presents: a string, undefined for none, null for an ambiguous presentation. */
function presentedKey(request: FastifyRequest): string | undefined | null {
  const header = request.headers['x-api-key'];
  const authorization = request.headers.authorization;
  const bearer = authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ' ? authorization.slice(7) : undefined;
  const bearerKey = bearer !== undefined && looksLikeApiKey(bearer) ? bearer : undefined;
  if (header === undefined) return bearerKey;
  if (typeof header !== 'string' || authorization !== undefined) return null;
  return header;
}

/**
 * The onRequest hook for routes that accept API keys. Decorate the request first:
 * `app.decorateRequest('apiKey', undefined)`.
 *
 * @example
 * const byKey = createApiKeyAuthenticateHook({ verifier, scopes: ['profile:read'], otherwise: bearerHook });
 * app.get('/v1/users/me', { onRequest: byKey }, handler);
 */
export function createApiKeyAuthenticateHook(options: ApiKeyAuthenticateOptions): Hook {
  const { verifier, otherwise } = options;
  const scopes = [...(options.scopes ?? [])];

  const admit = (request: FastifyRequest, verified: VerifiedApiKey, done: HookHandlerDoneFunction): void => {
    try {
      requireScopes(verified.scopes, scopes);
    } catch (error) {
      done(error as Error);
      return;
    }
    request.apiKey = verified;
    done();
  };
  const refuse = (error: unknown, done: HookHandlerDoneFunction): void => {
    if (isPortcullisError(error) && (error.code === 'auth.api_key_invalid' || error.code === 'auth.api_key_expired')) done(refused(error.code, error));
    else if (isPortcullisError(error)) done(error);
    else done(new PortcullisError('storage.unavailable', { cause: error }));
  };

  const hook: Hook = (request, reply, done) => {
    const key = presentedKey(request);
    if (key === undefined) {
      if (otherwise !== undefined) otherwise(request, reply, done);
      else done(refused('auth.unauthenticated'));
      return;
    }
    if (key === null) {
      done(refused('auth.api_key_invalid'));
      return;
    }
    let cached: VerifiedApiKey | undefined;
    try {
      cached = verifier.verifyCached(key);
    } catch (error) {
      refuse(error, done);
      return;
    }
    if (cached !== undefined) {
      admit(request, cached, done);
      return;
    }
    verifier.verify(key).then(
      (verified) => admit(request, verified, done),
      (error: unknown) => refuse(error, done),
    );
  };
  // L1: the OpenAPI document lists an API key, and whatever `otherwise` takes, for routes using it.
  return markCredentialHook(hook, ['apiKey', ...credentialKindsOfHook(otherwise)]);
}
