import { PortcullisError } from '../errors/index.js';
import { addressKey } from '../ratelimit/limit-keys.js';
import type { SecurityEvent } from './security-event.js';
import { isSecurityEventName, type SecurityEventName } from './security-event-catalogue.js';
import { ThresholdWindow } from './threshold-window.js';

/**
 * E4: threshold rules over the security event stream. A rule counts events of some names, grouped
 * by client address, by principal, or all together, and raises one alert when a group reaches the
 * threshold within the window; no second alert while that incident continues (see
 * ThresholdWindow). Alerts go to every sink; a sink that throws or rejects is reported and never
 * stops the others or the request that emitted the event. Addresses are grouped the way the rate
 * limiter counts them: an IPv4 address, or the /64 of an IPv6 one (a client controls a whole /64,
 * and rotating through it must not split an incident into 2^64 harmless-looking groups). A rule
 * may also require fields to have given values (`where`), e.g. only the login policies' refusals.
 */

export type AlertGrouping = 'clientAddress' | 'principal' | 'all';

export interface AlertRule {
  /** Stable name (`login_failures_by_address`); what the alert and the config name. */
  readonly name: string;
  readonly events: readonly SecurityEventName[];
  readonly groupBy: AlertGrouping;
  readonly threshold: number;
  readonly windowMs: number;
  readonly severity?: 'warning' | 'critical';
  /**
   * Only events whose field has one of the listed values count (every listed field must match).
   * Events without the field do not match it: for a rule over several event names, `whereFor`.
   */
  readonly where?: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /**
   * Per event name, a `where` that applies to that name only (other names count unfiltered).
   *
   * @example
   * { events: ['auth.login_failed', 'ratelimit.exceeded'], whereFor: { 'ratelimit.exceeded': { policy: ['login'] } } }
   */
  readonly whereFor?: Readonly<Partial<Record<SecurityEventName, Readonly<Record<string, readonly (string | number | boolean)[]>>>>>;
}

export interface SecurityAlert {
  readonly rule: string;
  readonly severity: 'warning' | 'critical';
  readonly groupBy: AlertGrouping;
  /** The address or principal the incident is about; null for `all`. */
  readonly key: string | null;
  readonly count: number;
  readonly windowMs: number;
  /** ISO-8601: the first counted event and the one that crossed the threshold. */
  readonly firstAt: string;
  readonly at: string;
  /** The event that crossed the threshold. */
  readonly event: SecurityEventName;
  readonly requestId: string | null;
}

export interface AlertSink {
  readonly name: string;
  send(alert: SecurityAlert): void | Promise<void>;
}

const FIVE_MINUTES = 5 * 60_000;

/**
 * The rate-limit policies that guard sign-in (the reference server's names). A login limit lower
 * than the failure threshold refuses an attacker before 20 failures are ever counted, so the
 * refusals of these policies count as failed logins too: otherwise the alert could never fire.
 */
export const LOGIN_RATE_LIMIT_POLICIES: readonly string[] = Object.freeze(['login', 'login-account']);

/** The defaults: credential stuffing from one address, any refresh-token reuse, an authorization probe, a lockout wave. */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = Object.freeze([
  {
    name: 'login_failures_by_address',
    events: ['auth.login_failed', 'ratelimit.exceeded'],
    whereFor: { 'ratelimit.exceeded': { policy: LOGIN_RATE_LIMIT_POLICIES } },
    groupBy: 'clientAddress',
    threshold: 20,
    windowMs: FIVE_MINUTES,
    severity: 'warning',
  },
  { name: 'token_reuse', events: ['auth.token_reuse'], groupBy: 'principal', threshold: 1, windowMs: FIVE_MINUTES, severity: 'critical' },
  { name: 'authz_denials_by_principal', events: ['authz.denied', 'authz.hidden'], groupBy: 'principal', threshold: 50, windowMs: FIVE_MINUTES, severity: 'warning' },
  { name: 'lockout_burst', events: ['auth.login_locked'], groupBy: 'all', threshold: 10, windowMs: FIVE_MINUTES, severity: 'warning' },
] satisfies AlertRule[]);

const RULE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

interface CompiledRule {
  readonly rule: AlertRule;
  readonly window: ThresholdWindow;
}

export interface AlertEngineOptions {
  readonly rules?: readonly AlertRule[];
  readonly sinks?: readonly AlertSink[];
  /** Groups tracked per rule. Default 10,000. */
  readonly maxKeysPerRule?: number;
  /** Told when a sink fails; the alert still reached the other sinks. */
  readonly onSinkError?: (error: unknown, sink: string) => void;
  readonly now?: () => number;
}

/**
 * The address an alert is about, grouped like the rate limiter's keys: `192.0.2.7`, or
 * `2001:db8:1:2::/64` for every address in that /64 (IPv4-mapped IPv6 is its IPv4 address).
 *
 * @example
 * alertAddressGroup('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function alertAddressGroup(address: string): string {
  const key = addressKey(address);
  return key.startsWith('ip4:') || key.startsWith('ip6:') ? key.slice(4) : key;
}

function groupKey(event: SecurityEvent, groupBy: AlertGrouping): string | undefined {
  if (groupBy === 'all') return '*';
  if (groupBy === 'principal') return event.principal ?? undefined;
  return event.clientAddress === null || event.clientAddress === '' ? undefined : alertAddressGroup(event.clientAddress);
}

type FieldFilter = Readonly<Record<string, readonly (string | number | boolean)[]>>;

function fieldsMatch(event: SecurityEvent, filter: FieldFilter | undefined): boolean {
  if (filter === undefined) return true;
  for (const [field, allowed] of Object.entries(filter)) {
    const value = event.fields[field];
    if (!allowed.some((candidate) => candidate === value)) return false;
  }
  return true;
}

function validFilter(filter: unknown): boolean {
  if (filter === undefined) return true;
  if (filter === null || typeof filter !== 'object') return false;
  return Object.values(filter).every((values) => Array.isArray(values) && values.length > 0 && values.every((v) => ['string', 'number', 'boolean'].includes(typeof v)));
}

export class AlertEngine {
  readonly #byEvent = new Map<string, CompiledRule[]>();
  readonly #sinks: AlertSink[];
  readonly #onSinkError: ((error: unknown, sink: string) => void) | undefined;
  readonly #now: () => number;

  constructor(options: AlertEngineOptions = {}) {
    const rules = options.rules ?? DEFAULT_ALERT_RULES;
    const names = new Set<string>();
    for (const rule of rules) {
      if (!RULE_NAME.test(rule.name) || names.has(rule.name)) throw new PortcullisError('config.invalid', { detail: 'alert rule: each needs a unique name of a-z 0-9 _' });
      names.add(rule.name);
      if (rule.events.length === 0 || !rule.events.every(isSecurityEventName)) throw new PortcullisError('config.invalid', { detail: `alert rule ${rule.name}: events must be catalogued names` });
      if (!['clientAddress', 'principal', 'all'].includes(rule.groupBy)) throw new PortcullisError('config.invalid', { detail: `alert rule ${rule.name}: groupBy must be clientAddress, principal or all` });
      const filters = Object.entries(rule.whereFor ?? {});
      if (!validFilter(rule.where) || !filters.every(([name, filter]) => rule.events.includes(name as SecurityEventName) && validFilter(filter))) {
        throw new PortcullisError('config.invalid', { detail: `alert rule ${rule.name}: where/whereFor list non-empty values per field, for the rule's events` });
      }
      const compiled: CompiledRule = {
        rule,
        window: new ThresholdWindow({ threshold: rule.threshold, windowMs: rule.windowMs, ...(options.maxKeysPerRule === undefined ? {} : { maxKeys: options.maxKeysPerRule }) }),
      };
      for (const name of new Set(rule.events)) {
        const list = this.#byEvent.get(name) ?? [];
        list.push(compiled);
        this.#byEvent.set(name, list);
      }
    }
    this.#sinks = [...(options.sinks ?? [])];
    this.#onSinkError = options.onSinkError;
    this.#now = options.now ?? Date.now;
  }

  addSink(sink: AlertSink): void {
    this.#sinks.push(sink);
  }

  /** Feeds one event to the rules; returns the alerts it raised (already sent to the sinks). */
  observe(event: SecurityEvent): SecurityAlert[] {
    const rules = this.#byEvent.get(event.event);
    if (rules === undefined) return [];
    const raised: SecurityAlert[] = [];
    const now = this.#now();
    for (const { rule, window } of rules) {
      if (!fieldsMatch(event, rule.where) || !fieldsMatch(event, rule.whereFor?.[event.event])) continue;
      const key = groupKey(event, rule.groupBy);
      if (key === undefined) continue;
      const crossing = window.record(key, now);
      if (crossing === undefined) continue;
      const alert: SecurityAlert = {
        rule: rule.name,
        severity: rule.severity ?? 'warning',
        groupBy: rule.groupBy,
        key: rule.groupBy === 'all' ? null : key,
        count: crossing.count,
        windowMs: rule.windowMs,
        firstAt: new Date(crossing.firstAt).toISOString(),
        at: new Date(now).toISOString(),
        event: event.event,
        requestId: event.requestId,
      };
      raised.push(alert);
      this.#deliver(alert);
    }
    return raised;
  }

  #deliver(alert: SecurityAlert): void {
    for (const sink of this.#sinks) {
      try {
        const sent = sink.send(alert);
        if (sent !== undefined) sent.catch((error: unknown) => this.#onSinkError?.(error, sink.name));
      } catch (error) {
        this.#onSinkError?.(error, sink.name);
      }
    }
  }
}
