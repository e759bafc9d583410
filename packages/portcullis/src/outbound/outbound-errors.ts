import { PortcullisError, isPortcullisError, type ErrorCode } from '../errors/index.js';

/**
 * Turns what Node's sockets, TLS and HTTP parser throw into the outbound codes, so callers (and
 * the webhook deliveries table) see a small, stable set instead of errno strings. The original
 * error stays as the `cause` for logs; the detail is ours and never names the URL.
 */

/** Refusals by the SSRF rules themselves, as opposed to failures of a permitted request. */
export const SSRF_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'outbound.url_invalid',
  'outbound.scheme_refused',
  'outbound.credentials_refused',
  'outbound.port_refused',
  'outbound.address_refused',
]);

/** Whether `error` is a refusal by the SSRF rules (a URL, port or address that is never allowed). */
export function isSsrfRefusal(error: unknown): error is PortcullisError {
  return isPortcullisError(error) && SSRF_REFUSAL_CODES.has(error.code);
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/;

/** The coded error for anything a request threw; coded errors pass through unchanged. */
export function outboundError(error: unknown): PortcullisError {
  if (isPortcullisError(error)) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  if (TLS_CODE.test(code)) return new PortcullisError('outbound.tls_failed', { cause: error });
  if (code.startsWith('HPE_')) return new PortcullisError('outbound.response_invalid', { detail: 'The remote answer is not valid HTTP.', cause: error });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new PortcullisError('outbound.dns_failed', { cause: error });
  if (code === 'ETIMEDOUT') return new PortcullisError('outbound.timeout', { cause: error });
  return new PortcullisError('outbound.connect_failed', { cause: error });
}
