import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PortcullisError, isPortcullisError } from '../errors/index.js';
import { markCredentialHook } from './openapi-credentials.js';

/**
 * Bearer authentication for Fastify routes (A3, A5): reads `Authorization: Bearer <token>` only
 * (never a query parameter or a cookie, which leak through logs and CSRF), verifies it with the
 * caller's verifier, checks the denylist, and puts the principal on `request.principal`. Every
 * refusal is a 401 problem with an RFC 6750 `WWW-Authenticate` challenge; which check failed is
 * in the problem code, never the token or the reason a signature did not match.
 */

/** Who made an authenticated request, as the access token says. */
export interface AccessPrincipal {
  readonly userId: string;
  readonly role: string;
  /** The session (refresh-token family) the token was issued in, when there is one. */
  readonly sessionId: string | undefined;
  readonly tokenId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticate hook on routes that require it; undefined elsewhere. */
    principal: AccessPrincipal | undefined;
  }
}

export interface AuthenticateOptions {
  /** Verifies the token and returns its principal; throws `auth.token_invalid` / `auth.token_expired`. */
  readonly verify: (token: string) => AccessPrincipal;
  /** True when the token or its session has been revoked (a synchronous, in-process check). */
  readonly isRevoked?: (principal: AccessPrincipal) => boolean;
  /** The `realm` of the challenge. Default "api". */
  readonly realm?: string;
}

/** Longest Authorization header read; the verifier caps the token itself again. */
const MAX_HEADER = 8192;

/**
 * The token of `Bearer <token>` (scheme case-insensitive, one space), or undefined. The token's
 * characters are the verifier's to check: it parses nothing before its own structural checks, and
 * a regular expression here cost more than the rest of this hook.
 */
function bearerToken(header: string): string | undefined {
  if (header.length < 8 || header.length > MAX_HEADER || header.charCodeAt(6) !== 32) return undefined;
  const scheme = header.slice(0, 6);
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(7);
  return token.charCodeAt(0) === 32 ? undefined : token;
}

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Builds the hook that authenticates a route. Use it as the route's `onRequest` (or
 * `preHandler`) hook.
 *
 * @example
 * const authenticate = createAuthenticateHook({ verify: (token) => principalOf(verifier.verify(token)), isRevoked });
 * app.get('/v1/users/me', { onRequest: authenticate }, async (request) => findUser(request.principal!.userId));
 */
export function createAuthenticateHook(options: AuthenticateOptions): Hook {
  const realm = options.realm ?? 'api';
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(realm)) throw new PortcullisError('config.invalid', { detail: 'authenticate: realm must be a short plain string' });
  const challenge = `Bearer realm="${realm}"`;
  const invalid = `${challenge}, error="invalid_token"`;
  const refuse = (code: 'auth.unauthenticated' | 'auth.token_invalid' | 'auth.token_expired' | 'auth.token_revoked', header: string, cause?: unknown) =>
    new PortcullisError(code, { headers: { 'www-authenticate': header }, ...(cause === undefined ? {} : { cause }) });

  return markCredentialHook<Hook>((request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      done(refuse('auth.unauthenticated', challenge));
      return;
    }
    const token = bearerToken(header);
    if (token === undefined) {
      done(refuse('auth.token_invalid', invalid));
      return;
    }
    let principal: AccessPrincipal;
    try {
      principal = options.verify(token);
    } catch (error) {
      const code = isPortcullisError(error) && error.code === 'auth.token_expired' ? 'auth.token_expired' : 'auth.token_invalid';
      done(refuse(code, invalid, error));
      return;
    }
    if (options.isRevoked?.(principal) === true) {
      done(refuse('auth.token_revoked', invalid));
      return;
    }
    request.principal = principal;
    done();
  }, ['bearer']);
}
