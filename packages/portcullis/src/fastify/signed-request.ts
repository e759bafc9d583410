import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { SignedRequestVerifier } from '../auth/signed-requests/verify-signed-request.js';
import { PortcullisError, isPortcullisError } from '../errors/index.js';
import { afterEvent, emitRequestEvent } from './security-events.js';
import { markCredentialHook } from './openapi-credentials.js';

/**
 * A9 in Fastify: a preHandler that requires a valid `Portcullis-Signature` on the request (see
 * auth/signed-requests for the format). It runs after the body is parsed, over the body's exact
 * text, so the route must keep it: `config: { portcullis: { keepRawBody: true } }`. The path is
 * the request line's target exactly as sent (path and query), so neither can be changed without
 * breaking the signature. Refusals are 401 problem+json and a security event in the log.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

export interface SignedRequestHookOptions {
  readonly verifier: SignedRequestVerifier;
  /**
   * The signing secret of the request's credential, and the scope its nonces are kept under
   * (e.g. the API key's id); undefined when this request need not be signed (e.g. it was not
   * authenticated by an API key).
   */
  readonly credentialOf: (request: FastifyRequest) => { readonly secret: string | Uint8Array; readonly scope: string } | undefined;
}

/**
 * @example
 * app.patch('/v1/users/me', { onRequest: byKey, preHandler: createSignedRequestHook({ verifier, credentialOf }), config: { portcullis: { keepRawBody: true } } }, handler);
 */
export function createSignedRequestHook(options: SignedRequestHookOptions): Hook {
  const { verifier, credentialOf } = options;
  return markCredentialHook<Hook>((request, _reply, done) => {
    const credential = credentialOf(request);
    if (credential === undefined) {
      done();
      return;
    }
    if (!request.keepRawBody) {
      done(new PortcullisError('internal.unexpected', { detail: 'a signed route must keep its raw body (keepRawBody)' }));
      return;
    }
    verifier
      .verify({
        secret: credential.secret,
        scope: credential.scope,
        method: request.raw.method ?? '',
        pathWithQuery: request.raw.url ?? '',
        body: request.rawBody,
        header: request.headers['portcullis-signature'],
      })
      .then(
        () => done(),
        (error: unknown) => {
          const refusal = isPortcullisError(error) ? error : new PortcullisError('storage.unavailable', { cause: error });
          const code = refusal.code;
          if (code === 'auth.signature_invalid' || code === 'auth.signature_expired' || code === 'auth.signature_replayed') {
            afterEvent(emitRequestEvent(request, code, { scope: credential.scope }), () => done(refusal));
            return;
          }
          done(refusal);
        },
      );
  }, ['signature']);
}
