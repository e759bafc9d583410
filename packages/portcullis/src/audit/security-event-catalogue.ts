/**
 * E3: the one list of security event names. Every security-relevant thing Portcullis or an app on
 * it notices has a fixed name here, with the outcome it records, the log level it is written at,
 * and whether it belongs in the audit trail. Operational failures (a dropped database connection,
 * a failed background write) are logged under a fixed name too, but kept out of the trail: they
 * can repeat many times a second during an outage and record nothing anyone did.
 */

/** What happened to the attempt the event records. */
export type SecurityOutcome = 'success' | 'failure' | 'denied' | 'blocked' | 'detected' | 'changed' | 'error';

export interface SecurityEventSpec {
  readonly outcome: SecurityOutcome;
  readonly level: 'info' | 'warn' | 'error';
  /** Persisted in the audit trail (false: log line only). */
  readonly trail: boolean;
  /** One line for the README and the admin endpoint's readers. */
  readonly description: string;
}

const spec = (outcome: SecurityOutcome, level: SecurityEventSpec['level'], description: string, trail = true): SecurityEventSpec => ({
  outcome,
  level,
  trail,
  description,
});

export const securityEventCatalogue = {
  // Identity (A1-A7)
  'auth.registered': spec('success', 'info', 'an account was created'),
  'auth.login_succeeded': spec('success', 'info', 'a sign-in succeeded'),
  'auth.login_failed': spec('failure', 'warn', 'a sign-in or re-authentication failed (unknown account, wrong password, disabled)'),
  'auth.login_locked': spec('denied', 'warn', 'a sign-in was refused because the account is locked out'),
  'auth.mfa_failed': spec('failure', 'warn', 'a one-time code was wrong'),
  'auth.mfa_enabled': spec('changed', 'info', 'two-factor authentication was turned on'),
  'auth.mfa_disabled': spec('changed', 'info', 'two-factor authentication was turned off'),
  'auth.backup_codes_regenerated': spec('changed', 'info', 'new backup codes replaced the old ones'),
  'auth.backup_code_used': spec('success', 'info', 'a backup code stood in for a one-time code'),
  'auth.token_refreshed': spec('success', 'info', 'a refresh token was exchanged'),
  'auth.token_reuse': spec('detected', 'warn', 'a spent refresh token came back: its session was revoked'),
  'auth.logout': spec('success', 'info', 'a session was signed out'),
  'auth.logout_all': spec('success', 'info', 'every session of an account was signed out'),
  'auth.session_revoked': spec('success', 'info', 'one session was revoked by its owner'),
  'auth.password_changed': spec('changed', 'info', 'a password was changed'),
  'auth.password_reset_requested': spec('success', 'info', 'a password reset link was sent'),
  'auth.password_reset': spec('changed', 'info', 'a password reset was completed'),
  'auth.password_rehashed': spec('changed', 'info', 'a password hash was upgraded at sign-in'),
  'auth.credential_rejected': spec('failure', 'warn', 'a bearer token or API key was refused (invalid, expired, revoked)'),
  'auth.signature_invalid': spec('denied', 'warn', 'a signed request carried a missing or wrong signature'),
  'auth.signature_expired': spec('denied', 'warn', 'a signed request was outside the time window'),
  'auth.signature_replayed': spec('denied', 'warn', 'a signed request reused a nonce'),
  // API keys (A8)
  'api_key.created': spec('success', 'info', 'an API key was created'),
  'api_key.rotated': spec('changed', 'info', 'an API key was rotated'),
  'api_key.revoked': spec('changed', 'info', 'an API key was revoked'),
  'api_key.used': spec('success', 'info', 'an API key authenticated a request (at most once an hour per key and instance)'),
  // Authorization (Z1, Z6)
  'authz.denied': spec('denied', 'warn', 'a request was refused by a route policy or an object rule'),
  'authz.hidden': spec('denied', 'warn', 'an object was answered as not found because the caller may not see it'),
  // Rate limiting and load (R1-R7)
  'ratelimit.exceeded': spec('blocked', 'warn', 'a request was refused by a rate limit'),
  'ratelimit.store_degraded': spec('error', 'warn', 'a rate limiter store failed; its fail mode decides'),
  'ratelimit.store_recovered': spec('success', 'info', 'a rate limiter store answers again'),
  'ratelimit.memory_full': spec('error', 'warn', 'an in-memory rate limiter is full of live keys'),
  'load.shedding_started': spec('blocked', 'warn', 'the event loop lags: new requests are refused'),
  'load.shedding_stopped': spec('success', 'info', 'the event loop caught up'),
  // Input (V1)
  'input.validation_burst': spec('detected', 'warn', 'one address sent many requests that failed validation in a short window'),
  // Outbound and webhooks (O1-O3)
  'ssrf.refused': spec('denied', 'warn', 'an outbound request (webhook URL, delivery, redirect) to a forbidden address or port was refused'),
  'webhook.created': spec('success', 'info', 'a webhook was registered'),
  'webhook.deleted': spec('changed', 'info', 'a webhook was removed'),
  // Administration and content moderation
  'admin.user_changed': spec('changed', 'info', 'an administrator changed an account (role, status)'),
  'admin.user_unlocked': spec('changed', 'info', 'an administrator cleared a login lockout'),
  'post.created': spec('success', 'info', 'a post was created'),
  'post.deleted': spec('changed', 'info', 'a post was deleted'),
  'post.unpublished': spec('changed', 'info', 'a post was unpublished'),
  'comment.deleted': spec('changed', 'info', 'a comment was deleted'),
  'attachment.uploaded': spec('success', 'info', 'a file was attached to a post'),
  'attachment.deleted': spec('changed', 'info', 'a file attached to a post was removed'),
  'upload.refused': spec('denied', 'warn', 'an upload was refused for its type or content (wrong magic bytes, a polyglot)'),
  // Configuration and alerts
  'config.warning': spec('detected', 'warn', 'the server started with a configuration worth a warning'),
  'alert.raised': spec('detected', 'warn', 'an alert rule crossed its threshold'),
  // Operational: logged, never persisted
  'database_error': spec('error', 'warn', 'a database connection failed', false),
  'redis_error': spec('error', 'warn', 'a Redis connection error', false),
  'redis_unavailable_at_start': spec('error', 'warn', 'Redis did not answer at start-up', false),
  'auth.denylist_sync_failed': spec('error', 'warn', 'the token denylist could not be synchronised', false),
  'auth.password_reset_failed': spec('error', 'error', 'a password reset could not be issued', false),
  'api_key.invalidation_failed': spec('error', 'warn', 'an API key revocation could not be announced to other instances', false),
  'api_key.usage_write_failed': spec('error', 'warn', 'API key usage counts could not be written', false),
  'webhook.dispatch_failed': spec('error', 'warn', 'a webhook dispatch round failed', false),
  'webhook.delivery_failed': spec('error', 'warn', 'a webhook delivery failed (it is retried)', false),
  'webhook.event_not_recorded': spec('error', 'error', 'a post event could not be recorded for webhooks', false),
  'alert.delivery_failed': spec('error', 'warn', 'an alert could not be sent to one of its sinks', false),
  'audit.write_failed': spec('error', 'error', 'audit trail rows could not be written (they are kept and retried)', false),
  // A log line only: its point is to put the trail's head somewhere the database's writers cannot rewind.
  'audit.checkpoint': spec('success', 'info', 'the audit trail head (seq and mac), to anchor it outside the database', false),
} as const satisfies Record<string, SecurityEventSpec>;

export type SecurityEventName = keyof typeof securityEventCatalogue;

/** Every catalogued name, in catalogue order. */
export const SECURITY_EVENT_NAMES: readonly SecurityEventName[] = Object.freeze(Object.keys(securityEventCatalogue) as SecurityEventName[]);

export function isSecurityEventName(value: unknown): value is SecurityEventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(securityEventCatalogue, value);
}
