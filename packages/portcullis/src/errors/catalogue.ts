/**
 * The one registry of operational errors. Every refusal Portcullis makes has a stable code here,
 * with the HTTP status and the public title it maps to; clients key on `code`, never on wording.
 * Titles are fixed strings: no error ever carries client input into a response.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  /** Last segment of the problem `type` URI. */
  readonly slug: string;
}

export const errorCatalogue = {
  'request.malformed_json': { status: 400, title: 'Request body is not valid JSON', slug: 'malformed-json' },
  'request.json_too_deep': { status: 400, title: 'Request body is nested too deeply', slug: 'json-too-deep' },
  'request.forbidden_key': { status: 400, title: 'Request contains a forbidden key', slug: 'forbidden-key' },
  'request.validation_failed': { status: 400, title: 'Request failed validation', slug: 'validation-failed' },
  'request.invalid_text': { status: 400, title: 'Request contains a NUL character or text that is not valid Unicode', slug: 'invalid-text' },
  'request.bad_request': { status: 400, title: 'Bad request', slug: 'bad-request' },
  'request.body_too_large': { status: 413, title: 'Request body is too large', slug: 'body-too-large' },
  'request.unsupported_media_type': {
    status: 415,
    title: 'Unsupported content type: send application/json',
    slug: 'unsupported-media-type',
  },
  'request.timeout': { status: 408, title: 'Request took too long to arrive', slug: 'request-timeout' },
  'request.header_too_large': { status: 431, title: 'Request headers are too large', slug: 'header-too-large' },
  'upload.malformed': { status: 400, title: 'Send exactly one file, in the multipart field "file", and nothing else', slug: 'upload-malformed' },
  'upload.empty': { status: 400, title: 'The uploaded file is empty', slug: 'upload-empty' },
  'upload.too_large': { status: 413, title: 'The uploaded file is too large', slug: 'upload-too-large' },
  'upload.type_refused': { status: 415, title: 'This type of file is not accepted', slug: 'upload-type-refused' },
  'upload.too_many': { status: 409, title: 'This object already holds as many files as it may', slug: 'upload-too-many' },
  'route.not_found': { status: 404, title: 'Not found', slug: 'not-found' },
  'route.method_not_allowed': { status: 405, title: 'Method not allowed', slug: 'method-not-allowed' },
  'api.version_sunset': { status: 410, title: 'This API version has been retired', slug: 'version-sunset' },
  'transport.https_required': { status: 403, title: 'HTTPS is required', slug: 'https-required' },
  'service.timeout': { status: 503, title: 'The request could not be completed in time', slug: 'service-timeout' },
  'service.unavailable': { status: 503, title: 'Service unavailable', slug: 'service-unavailable' },
  'ratelimit.exceeded': { status: 429, title: 'Too many requests: the quota is used up', slug: 'quota-exceeded' },
  'ratelimit.unavailable': {
    status: 503,
    title: 'Rate limiting is unavailable, so the request was not admitted',
    slug: 'rate-limit-unavailable',
  },
  'service.overloaded': { status: 503, title: 'Server is overloaded; retry later', slug: 'overloaded' },
  'service.shutting_down': { status: 503, title: 'Server is shutting down', slug: 'shutting-down' },
  'internal.unexpected': { status: 500, title: 'Internal server error', slug: 'internal' },
  'config.invalid': { status: 500, title: 'Invalid configuration', slug: 'config-invalid' },
  'auth.password_too_long': { status: 400, title: 'Password is too long', slug: 'password-too-long' },
  'auth.password_rejected': { status: 400, title: 'Password does not meet the password policy', slug: 'password-rejected' },
  'auth.unauthenticated': { status: 401, title: 'Authentication is required', slug: 'unauthenticated' },
  'auth.invalid_credentials': { status: 401, title: 'Invalid email or password', slug: 'invalid-credentials' },
  'auth.token_invalid': { status: 401, title: 'The access token is invalid', slug: 'invalid-token' },
  'auth.token_expired': { status: 401, title: 'The access token has expired', slug: 'token-expired' },
  'auth.token_revoked': { status: 401, title: 'The access token has been revoked', slug: 'token-revoked' },
  'auth.refresh_invalid': { status: 401, title: 'The refresh token is invalid, expired or already used', slug: 'invalid-refresh-token' },
  'auth.mfa_required': { status: 401, title: 'A one-time code is required', slug: 'mfa-required' },
  'auth.mfa_invalid': { status: 401, title: 'The one-time code is invalid', slug: 'mfa-invalid' },
  'auth.mfa_already_enabled': { status: 409, title: 'Two-factor authentication is already enabled', slug: 'mfa-already-enabled' },
  'auth.mfa_not_enabled': { status: 409, title: 'Two-factor authentication is not enabled', slug: 'mfa-not-enabled' },
  'auth.mfa_setup_missing': { status: 409, title: 'Start two-factor setup before enabling it', slug: 'mfa-setup-missing' },
  'auth.reauthentication_failed': { status: 403, title: 'The current password is incorrect', slug: 'reauthentication-failed' },
  'auth.account_locked': { status: 429, title: 'Too many failed sign-in attempts; retry later', slug: 'account-locked' },
  'auth.reset_invalid': { status: 400, title: 'The reset token is invalid or expired', slug: 'invalid-reset-token' },
  'auth.csrf_refused': { status: 403, title: 'Cross-site request refused', slug: 'csrf-refused' },
  'auth.session_not_found': { status: 404, title: 'Session not found', slug: 'session-not-found' },
  'auth.forbidden': { status: 403, title: 'You are not allowed to do this', slug: 'forbidden' },
  'auth.api_key_invalid': { status: 401, title: 'The API key is invalid', slug: 'invalid-api-key' },
  'auth.api_key_expired': { status: 401, title: 'The API key has expired', slug: 'api-key-expired' },
  'auth.scope_missing': { status: 403, title: 'The API key lacks a scope this route requires', slug: 'missing-scope' },
  'auth.signature_invalid': { status: 401, title: 'The request signature is missing or invalid', slug: 'invalid-signature' },
  'auth.signature_expired': { status: 401, title: 'The request signature is outside the allowed time window', slug: 'signature-expired' },
  'auth.signature_replayed': { status: 401, title: 'The request signature has already been used', slug: 'signature-replayed' },
  'api_key.not_found': { status: 404, title: 'API key not found', slug: 'api-key-not-found' },
  'user.email_taken': { status: 409, title: 'A user with this email already exists', slug: 'email-taken' },
  'user.not_found': { status: 404, title: 'User not found', slug: 'user-not-found' },
  'user.last_admin': { status: 409, title: 'The last active administrator cannot be demoted or disabled', slug: 'last-admin' },
  'storage.unavailable': { status: 503, title: 'Storage is unavailable', slug: 'storage-unavailable' },
  'storage.secret_unreadable': { status: 500, title: 'A stored secret could not be read', slug: 'secret-unreadable' },
  'storage.migration_failed': { status: 500, title: 'Database migration failed', slug: 'migration-failed' },
  'audit.chain_broken': { status: 500, title: 'The audit trail failed verification', slug: 'audit-chain-broken' },
  'cli.usage': { status: 400, title: 'Invalid command-line usage', slug: 'cli-usage' },
  'outbound.url_invalid': { status: 400, title: 'The URL is not a valid absolute URL', slug: 'outbound-url-invalid' },
  'outbound.scheme_refused': { status: 400, title: 'Only http and https URLs are allowed', slug: 'outbound-scheme-refused' },
  'outbound.credentials_refused': { status: 400, title: 'The URL must not carry a user name or password', slug: 'outbound-credentials-refused' },
  'outbound.port_refused': { status: 400, title: 'The URL names a port that is not allowed', slug: 'outbound-port-refused' },
  'outbound.address_refused': { status: 400, title: 'The URL does not lead to a public address', slug: 'outbound-address-refused' },
  'outbound.dns_failed': { status: 502, title: 'The remote host name could not be resolved', slug: 'outbound-dns-failed' },
  'outbound.connect_failed': { status: 502, title: 'The remote host could not be reached', slug: 'outbound-connect-failed' },
  'outbound.tls_failed': { status: 502, title: 'The remote host did not present a trusted TLS certificate', slug: 'outbound-tls-failed' },
  'outbound.timeout': { status: 504, title: 'The remote host did not answer in time', slug: 'outbound-timeout' },
  'outbound.too_many_redirects': { status: 502, title: 'The remote host redirected too many times', slug: 'outbound-too-many-redirects' },
  'outbound.redirect_invalid': { status: 502, title: 'The remote host sent an unusable redirect', slug: 'outbound-redirect-invalid' },
  'outbound.redirect_refused': { status: 502, title: 'The remote host redirected a request body to another origin', slug: 'outbound-redirect-refused' },
  'outbound.response_too_large': { status: 502, title: 'The remote answer is too large', slug: 'outbound-response-too-large' },
  'outbound.status_refused': { status: 502, title: 'The remote host answered with an unexpected status', slug: 'outbound-status-refused' },
  'outbound.content_type_refused': { status: 502, title: 'The remote answer is not JSON', slug: 'outbound-content-type-refused' },
  'outbound.response_invalid': { status: 502, title: 'The remote answer failed validation', slug: 'outbound-response-invalid' },
  'webhook.not_found': { status: 404, title: 'Webhook not found', slug: 'webhook-not-found' },
  'webhook.limit_reached': { status: 409, title: 'The webhook limit for this account is reached', slug: 'webhook-limit-reached' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(errorCatalogue, value);
}
