import type { FastifyBaseLogger } from 'fastify';

/**
 * Identity security events (A2, A4, A5): one structured log line each with a fixed `event` name,
 * the client address and user agent, and ids only: never an email's password, a token or a hash.
 * The audit checkpoint will route these to its trail; until then the log is the trail.
 */
export type IdentityEvent =
  | 'auth.registered'
  | 'auth.login_succeeded'
  | 'auth.login_failed'
  | 'auth.login_locked'
  | 'auth.mfa_failed'
  | 'auth.token_refreshed'
  | 'auth.token_reuse'
  | 'auth.logout'
  | 'auth.logout_all'
  | 'auth.session_revoked'
  | 'auth.password_changed'
  | 'auth.password_reset_requested'
  | 'auth.password_reset'
  | 'auth.password_rehashed'
  | 'auth.mfa_enabled'
  | 'auth.mfa_disabled'
  | 'auth.backup_codes_regenerated'
  | 'auth.backup_code_used';

export interface RequestContext {
  readonly clientAddress: string;
  readonly userAgent: string | undefined;
}

const WARN_EVENTS = new Set<IdentityEvent>(['auth.login_failed', 'auth.login_locked', 'auth.mfa_failed', 'auth.token_reuse']);
const MAX_USER_AGENT = 256;

/**
 * Field names avoid the words the log redaction blanks (session, token, secret, ...), or the
 * value would log as [REDACTED]: the session id goes in `sid` (as in the access token), counts of
 * revoked sessions in `revokedCount`.
 */
export type SecurityEventSink = (event: IdentityEvent, context: RequestContext, fields?: Readonly<Record<string, string | number | boolean | undefined>>) => void;

/** Writes identity events to a pino logger; failures and reuse at warn, the rest at info. */
export function logSecurityEvents(log: FastifyBaseLogger): SecurityEventSink {
  return (event, context, fields = {}) => {
    const line = { event, clientAddress: context.clientAddress, userAgent: context.userAgent?.slice(0, MAX_USER_AGENT), ...fields };
    if (WARN_EVENTS.has(event)) log.warn(line, event);
    else log.info(line, event);
  };
}
