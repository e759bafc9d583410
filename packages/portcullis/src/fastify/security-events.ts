import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  RepeatGate,
  SecurityEventBus,
  ThresholdWindow,
  apiKeyPrincipal,
  userPrincipal,
  type AlertRule,
  type AlertSink,
  type AuditTrailStore,
  type AuditWriteQueueOptions,
  type EmitOptions,
  type SecurityEvent,
  type SecurityEventContext,
  type SecurityEventFields,
  type SecurityEventListener,
  type SecurityEventName,
  type SecurityOutcome,
} from '../audit/index.js';
import { addressKey } from '../ratelimit/index.js';

/**
 * E3/E4 in Fastify: `request.securityEvent(name, fields)` fills the request id, client address,
 * method, route pattern and principal (API key, else access token, else none) from the request;
 * `app.securityEvent(name, fields, context)` is for events outside a request. Both go through one
 * SecurityEventBus: the log (the same fixed `event` names as ever), the audit trail when a store
 * is configured, the alert rules, and `app.onSecurityEvent(listener)` subscribers (metrics).
 * Input refusals are counted per address; a burst of them is one `input.validation_burst` event.
 */

export interface SecurityEventOptions {
  /** Persist events through this store (written in batches, off the request path). */
  readonly trail?: AuditTrailStore;
  readonly queue?: Omit<AuditWriteQueueOptions<SecurityEvent>, 'write' | 'onWriteError'>;
  /** How long closing the app keeps retrying a failing trail write before it reports the unwritten count. Default 10 s. */
  readonly closeTimeoutMs?: number;
  /** Alert rules (default DEFAULT_ALERT_RULES) and sinks beyond the log; `false` turns alerts off. */
  readonly alerts?: false | { readonly rules?: readonly AlertRule[]; readonly sinks?: readonly AlertSink[]; readonly maxKeysPerRule?: number };
  /** Refused inputs from one address that make a burst. Default 20 in 60 s; `false` turns it off. */
  readonly validationBurst?: false | { readonly threshold?: number; readonly windowMs?: number; readonly maxKeys?: number };
}

export interface RequestEventOptions extends EmitOptions {
  /** Who the event is about when the request has no principal yet (sign-in): `user:<id>`. */
  readonly principal?: string | null;
  readonly outcome?: SecurityOutcome;
}

type EventResult = Promise<void> | undefined;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Emits a security event about this request (E3). Returns a promise only when the audit
     * queue is full: await it (back-pressure) where the caller can. When its waiters are full too
     * (the database is down), the promise rejects with `service.overloaded` (503): the event was
     * logged but not stored, and the refusal is counted and logged as `audit.write_failed`.
     */
    securityEvent(name: SecurityEventName, fields?: SecurityEventFields, options?: RequestEventOptions): Promise<void> | undefined;
  }
  interface FastifyInstance {
    /** Emits a security event outside a request (start-up, background work); `context` fills the envelope. */
    securityEvent(name: SecurityEventName, fields?: SecurityEventFields, context?: SecurityEventContext, options?: EmitOptions): Promise<void> | undefined;
    /** Subscribes to every security event; returns the unsubscribe function. */
    onSecurityEvent(listener: SecurityEventListener): () => void;
    /** Security events waiting to be written to the audit trail (a gauge). */
    auditQueueDepth(): number;
    /** Writes every queued security event now. */
    flushSecurityEvents(): Promise<void>;
    /** Writes what is queued and stops the trail; call it before closing the trail's database. */
    closeSecurityEvents(): Promise<void>;
  }
}

/** The input refusals that count towards a validation burst. */
const INPUT_REFUSALS = new Set(['request.validation_failed', 'request.forbidden_key', 'request.malformed_json', 'request.json_too_deep']);
/**
 * Refused credentials. An expired access token is left out: it is the normal end of a token's
 * life (the client refreshes), and would fill the trail with nothing anyone did wrong.
 */
const CREDENTIAL_REFUSALS = new Set(['auth.token_invalid', 'auth.token_revoked', 'auth.api_key_invalid', 'auth.api_key_expired']);

interface RequestWithCredentials {
  readonly apiKey?: { readonly key?: { readonly id?: string } } | undefined;
  readonly principal?: { readonly userId?: string } | undefined;
}

/** `api_key:<id>` for a request authenticated by an API key, `user:<id>` by an access token, else null. */
export function principalOfRequest(request: FastifyRequest): string | null {
  const credentials = request as unknown as RequestWithCredentials;
  const keyId = credentials.apiKey?.key?.id;
  if (typeof keyId === 'string') return apiKeyPrincipal(keyId);
  const userId = credentials.principal?.userId;
  if (typeof userId === 'string') return userPrincipal(userId);
  return null;
}

export function requestEventContext(request: FastifyRequest, options: RequestEventOptions = {}): SecurityEventContext {
  return {
    requestId: String(request.id),
    principal: options.principal !== undefined ? options.principal : principalOfRequest(request),
    // Set in onRequest; a refusal before it (a malformed request line) falls back to the socket.
    clientAddress: request.clientAddress || request.ip,
    method: request.method,
    route: request.routeOptions.url ?? null,
    ...(options.outcome === undefined ? {} : { outcome: options.outcome }),
  };
}

/**
 * `request.securityEvent(...)`, or a plain log line with the same `event` name when the hook runs
 * on an app without the plugin (the rate-limit and signature hooks are exported on their own).
 */
export function emitRequestEvent(request: FastifyRequest, name: SecurityEventName, fields?: SecurityEventFields, options?: RequestEventOptions): EventResult {
  if (typeof request.securityEvent === 'function') return request.securityEvent(name, fields, options);
  request.log.warn({ event: name, clientAddress: request.clientAddress, ...fields }, name.replaceAll('_', ' '));
  return undefined;
}

/** Calls `next` once the event is accepted (at once unless the audit queue is full). */
export function afterEvent(pending: EventResult, next: () => void): void {
  if (pending === undefined) next();
  else pending.then(next, next);
}

export interface SecurityEventsWiring {
  readonly bus: SecurityEventBus;
  /**
   * Told of every refusal the error handler answers (by its code): refused credentials become
   * `auth.credential_rejected`, refused inputs count towards a validation burst.
   */
  refused(request: FastifyRequest, code: string): void;
}

/** Decorates the app and its requests; called once by the plugin. */
export function wireSecurityEvents(app: FastifyInstance, options: SecurityEventOptions = {}): SecurityEventsWiring {
  const bus = new SecurityEventBus({
    log: app.log,
    ...(options.trail === undefined ? {} : { trail: { store: options.trail, ...(options.queue === undefined ? {} : { queue: options.queue }) } }),
    ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
  });
  const credentialTrail = new RepeatGate();
  const burstOptions = options.validationBurst === false ? undefined : options.validationBurst ?? {};
  const bursts =
    burstOptions === undefined
      ? undefined
      : new ThresholdWindow({ threshold: burstOptions.threshold ?? 20, windowMs: burstOptions.windowMs ?? 60_000, ...(burstOptions.maxKeys === undefined ? {} : { maxKeys: burstOptions.maxKeys }) });

  app.decorateRequest('securityEvent', function securityEvent(this: FastifyRequest, name: SecurityEventName, fields?: SecurityEventFields, eventOptions: RequestEventOptions = {}): EventResult {
    return bus.emit(name, requestEventContext(this, eventOptions), fields, eventOptions);
  });
  app.decorate('securityEvent', (name: SecurityEventName, fields?: SecurityEventFields, context: SecurityEventContext = {}, emitOptions: EmitOptions = {}): EventResult =>
    bus.emit(name, context, fields, emitOptions),
  );
  app.decorate('onSecurityEvent', (listener: SecurityEventListener) => bus.onSecurityEvent(listener));
  app.decorate('auditQueueDepth', () => bus.queueDepth);
  app.decorate('flushSecurityEvents', () => bus.flush());
  app.decorate('closeSecurityEvents', () => bus.close(options.closeTimeoutMs ?? 10_000));
  app.addHook('onClose', async () => {
    // The bus logged the unwritten count (audit.write_failed); a rejection here would stop the
    // app's other onClose hooks (the database and Redis would be left open).
    await bus.close(options.closeTimeoutMs ?? 10_000).catch(() => undefined);
  });

  return {
    bus,
    refused(request, code) {
      if (CREDENTIAL_REFUSALS.has(code)) {
        // All logged and counted; a flood of bad credentials is one trail row per address, code and minute.
        // Keyed like the rate limiter (an IPv6 /64 is one key): rotating addresses inside a /64 is not a new row each time.
        void request.securityEvent('auth.credential_rejected', { code }, { trail: credentialTrail.admits(`${code}|${addressKey(request.clientAddress || request.ip)}`) });
        return;
      }
      if (bursts === undefined || !INPUT_REFUSALS.has(code)) return;
      const crossing = bursts.record(addressKey(request.clientAddress || request.ip));
      if (crossing === undefined) return;
      void request.securityEvent('input.validation_burst', { count: crossing.count, windowMs: bursts.windowMs, firstAt: new Date(crossing.firstAt).toISOString(), lastCode: code });
    },
  };
}
