import { PortcullisError } from '../errors/index.js';

/**
 * T1: plain HTTP is refused with 403, never redirected: by the time a redirect is sent the client
 * has already put its credentials on the wire, and a redirect teaches it that this is fine.
 */
export interface HttpsPolicy {
  readonly required: boolean;
  /** Exact paths served over plain HTTP anyway (in-cluster health probes). */
  readonly exemptPaths: ReadonlySet<string>;
}

export function createHttpsPolicy(required: boolean, exemptPaths: readonly string[] = []): HttpsPolicy {
  return { required, exemptPaths: new Set(exemptPaths) };
}

/** Throws `transport.https_required` for a plain-HTTP request when HTTPS is required. */
export function assertHttps(policy: HttpsPolicy, secure: boolean, path: string): void {
  if (!policy.required || secure || policy.exemptPaths.has(path)) return;
  throw new PortcullisError('transport.https_required', {
    detail: 'This API is served over HTTPS only. Do not retry over plain HTTP; credentials sent that way may already be exposed.',
  });
}
