import { isPortcullisError } from '../errors/index.js';
import { AlertEngine, type AlertRule, type AlertSink, type SecurityAlert } from './alert-engine.js';
import { AuditWriteQueue, type AuditWriteQueueOptions } from './audit-write-queue.js';
import { buildSecurityEvent, type SecurityEvent, type SecurityEventContext, type SecurityEventFields } from './security-event.js';
import { SECURITY_EVENT_NAMES, securityEventCatalogue, type SecurityEventName } from './security-event-catalogue.js';

/**
 * E3/E4: one place every security event passes, fanning out to the configured sinks in a fixed
 * order: the log (one line, the event's fixed name under `event`), the audit trail (a bounded
 * write queue; see AuditWriteQueue), the alert rules, then listeners (metrics). A listener or
 * alert sink that throws is reported and never stops the others. Framework-free: the Fastify
 * adapter fills the context from the request.
 */

export interface SecurityEventLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

/** Where the trail's rows go: appends `events` in order, atomically, or rejects (they are retried). */
export interface AuditTrailStore {
  append(events: readonly SecurityEvent[]): Promise<void>;
}

export type SecurityEventListener = (event: SecurityEvent) => void;

export interface SecurityEventBusOptions {
  readonly log?: SecurityEventLogger;
  /** Persist events (those the catalogue marks for the trail) through this store. */
  readonly trail?: { readonly store: AuditTrailStore; readonly queue?: Omit<AuditWriteQueueOptions<SecurityEvent>, 'write' | 'onWriteError'> };
  /** Alert rules (default DEFAULT_ALERT_RULES) and extra sinks; `false` turns alerting off. */
  readonly alerts?: false | { readonly rules?: readonly AlertRule[]; readonly sinks?: readonly AlertSink[]; readonly maxKeysPerRule?: number };
}

export interface EmitOptions {
  /** An error to put in the log line (redacted there); never stored in the trail. */
  readonly error?: unknown;
  /** false: log and count this occurrence, but keep it out of the trail (e.g. a repeat). */
  readonly trail?: boolean;
}

const ALERT_RAISED: SecurityEventName = 'alert.raised';
/** Each event's log message (its name in words), made once rather than on every event. */
const LOG_MESSAGES = new Map<string, string>(SECURITY_EVENT_NAMES.map((name) => [name, name.replaceAll('_', ' ')]));

export class SecurityEventBus {
  readonly #log: SecurityEventLogger | undefined;
  readonly #queue: AuditWriteQueue<SecurityEvent> | undefined;
  readonly #alerts: AlertEngine | undefined;
  readonly #listeners = new Set<SecurityEventListener>();
  #closing: Promise<void> | undefined;
  #overflowLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(options: SecurityEventBusOptions = {}) {
    this.#log = options.log;
    const trail = options.trail;
    if (trail !== undefined) {
      this.#queue = new AuditWriteQueue<SecurityEvent>({
        ...trail.queue,
        write: (batch) => trail.store.append(batch),
        onWriteError: (error, pending) => this.emit('audit.write_failed', {}, { pending }, { error }),
      });
    }
    if (options.alerts !== false) {
      const alerts = options.alerts ?? {};
      this.#alerts = new AlertEngine({
        ...(alerts.rules === undefined ? {} : { rules: alerts.rules }),
        ...(alerts.maxKeysPerRule === undefined ? {} : { maxKeysPerRule: alerts.maxKeysPerRule }),
        sinks: [{ name: 'events', send: (alert) => void this.#raise(alert) }, ...(alerts.sinks ?? [])],
        onSinkError: (error, sink) => void this.emit('alert.delivery_failed', {}, { sink }, { error }),
      });
    }
  }

  /** Events waiting to be written to the trail (0 without one). */
  get queueDepth(): number {
    return this.#queue?.depth ?? 0;
  }

  /** Events refused from the trail because its queue and waiters were full (a counter). */
  get trailOverflowed(): number {
    return this.#queue?.overflowed ?? 0;
  }

  get alerts(): AlertEngine | undefined {
    return this.#alerts;
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onSecurityEvent(listener: SecurityEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Builds and publishes one event. Returns undefined, or a promise when the trail's queue is full:
   * await it so the emitter slows down rather than an event being lost.
   *
   * @example
   * await bus.emit('auth.login_failed', { clientAddress, requestId }, { reason: 'wrong_password' });
   */
  emit(name: SecurityEventName, context: SecurityEventContext = {}, fields?: SecurityEventFields, options: EmitOptions = {}): Promise<void> | undefined {
    return this.publish(buildSecurityEvent(name, context, fields), options);
  }

  publish(event: SecurityEvent, options: EmitOptions = {}): Promise<void> | undefined {
    this.#writeLog(event, options.error);
    const waiting = this.#queue !== undefined && options.trail !== false && securityEventCatalogue[event.event].trail ? this.#enqueue(this.#queue, event) : undefined;
    if (event.event !== ALERT_RAISED) this.#alerts?.observe(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log?.error({ err: error, event: 'security_event.listener_failed' }, 'a security event listener failed');
      }
    }
    return waiting;
  }

  /** Writes every queued event now. */
  flush(): Promise<void> {
    return this.#queue?.flush() ?? Promise.resolve();
  }

  /**
   * Refuses new trail writes and writes the rest (see AuditWriteQueue.close). Once: later calls
   * share the first one's outcome. Events that could not be written are never a silent loss: the
   * count is logged as `audit.write_failed` { stage: 'close', unwritten } before this rejects.
   */
  close(giveUpAfterMs?: number): Promise<void> {
    const queue = this.#queue;
    if (queue === undefined) return Promise.resolve();
    this.#closing ??= queue.close(giveUpAfterMs).catch((error: unknown) => {
      this.#log?.error({ event: 'audit.write_failed', outcome: 'error', stage: 'close', unwritten: queue.depth, err: error }, 'audit trail closed with events not written');
      throw error;
    });
    return this.#closing;
  }

  /**
   * After close (the app is shutting down) an event can no longer be persisted: say so loudly.
   * When the queue and its waiters are full (the database is down and emitters keep coming), the
   * event is refused rather than held without bound. Never silently: its own log line is already
   * written, the refusals are counted (`trailOverflowed`) and logged as `audit.write_failed` with
   * the running count (at most once a second), and the returned promise rejects with
   * `service.overloaded` (503), so an emitter that awaits fails its request. It is marked handled
   * first: a `void emit(...)` caller must not crash the process with an unhandled rejection.
   */
  #enqueue(queue: AuditWriteQueue<SecurityEvent>, event: SecurityEvent): Promise<void> | undefined {
    try {
      return queue.enqueue(event);
    } catch (error) {
      if (isPortcullisError(error) && error.code === 'service.overloaded') {
        const now = Date.now();
        if (now - this.#overflowLoggedAt >= 1_000) {
          this.#overflowLoggedAt = now;
          this.#log?.error(
            { err: error, event: 'audit.write_failed', outcome: 'error', stage: 'overflow', dropped: queue.overflowed, lostEvent: event.event, lostAt: event.at },
            'audit queue full: events refused, not persisted',
          );
        }
        const refused = Promise.reject(error);
        refused.catch(() => undefined);
        return refused;
      }
      this.#log?.error({ err: error, event: 'audit.write_failed', lostEvent: event.event, lostAt: event.at }, 'audit trail closed: event not persisted');
      return undefined;
    }
  }

  #raise(alert: SecurityAlert): Promise<void> | undefined {
    const { requestId, event, at: _at, ...fields } = alert;
    return this.emit(ALERT_RAISED, { requestId, outcome: 'detected' }, { ...fields, triggeredBy: event });
  }

  #writeLog(event: SecurityEvent, error: unknown): void {
    const log = this.#log;
    if (log === undefined) return;
    const line: Record<string, unknown> = { event: event.event, outcome: event.outcome };
    if (event.requestId !== null) line['reqId'] = event.requestId;
    if (event.principal !== null) line['principal'] = event.principal;
    if (event.clientAddress !== null) line['clientAddress'] = event.clientAddress;
    if (event.method !== null) line['method'] = event.method;
    if (event.route !== null) line['route'] = event.route;
    Object.assign(line, event.fields);
    if (error !== undefined) line['err'] = error;
    const spec = securityEventCatalogue[event.event];
    const message = LOG_MESSAGES.get(event.event) ?? event.event.replaceAll('_', ' ');
    if (spec.level === 'error') log.error(line, message);
    else if (spec.level === 'warn') log.warn(line, message);
    else log.info(line, message);
  }
}
