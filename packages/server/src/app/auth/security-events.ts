import type { FastifyInstance } from 'fastify';
import { userPrincipal } from 'portcullis/audit';

/**
 * Identity security events (A2, A4, A5, E3): each goes through the app's security-event bus (the
 * log line with its fixed `event` name, the audit trail, the alert rules), carrying the request's
 * id, route, client address and user agent, and ids only: never a password, a token or a hash.
 * The account an event is about is its principal (`user:<id>`), signed in yet or not.
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

/** Where an identity event happened: built from the request by `requestContext` (auth-routes). */
export interface RequestContext {
  readonly clientAddress: string;
  readonly userAgent: string | undefined;
  readonly requestId?: string;
  readonly method?: string;
  readonly route?: string | undefined;
}

const MAX_USER_AGENT = 256;

/**
 * Field names avoid the words the redaction blanks (session, token, secret, ...), or the value
 * would be stored as [REDACTED]: the session id goes in `sid` (as in the access token), counts of
 * revoked sessions in `revokedCount`. The returned promise (when there is one) means the audit
 * queue is full: await it.
 */
export type SecurityEventSink = (
  event: IdentityEvent,
  context: RequestContext,
  fields?: Readonly<Record<string, string | number | boolean | undefined>>,
) => Promise<void> | undefined;

/** Identity events into the app's security-event bus (`app.securityEvent`). */
export function identitySecurityEvents(app: FastifyInstance): SecurityEventSink {
  return (event, context, fields = {}) => {
    const userId = fields['userId'];
    return app.securityEvent(
      event,
      { userAgent: context.userAgent?.slice(0, MAX_USER_AGENT), ...fields },
      {
        requestId: context.requestId,
        clientAddress: context.clientAddress,
        method: context.method,
        route: context.route,
        principal: typeof userId === 'string' ? userPrincipal(userId) : null,
      },
    );
  };
}
