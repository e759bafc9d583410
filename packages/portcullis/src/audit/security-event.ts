import { PortcullisError } from '../errors/index.js';
import { boundedMemo } from './bounded-memo.js';
import { isoTimestamp } from './iso-timestamp.js';
import { REDACTED, isSensitiveKey, scrubText } from './redaction.js';
import { isSecurityEventName, securityEventCatalogue, type SecurityEventName, type SecurityOutcome } from './security-event-catalogue.js';

/**
 * E3: the shape every security event takes, whoever emits it: when, which request, who (a user, an
 * API key, or nobody yet), from where, on which route, with what outcome, plus a few scalar
 * fields. Fields go through the log redaction on the way in (a key named like a secret is
 * blanked, secret-shaped text is scrubbed), are bounded in number and length, and are never
 * objects: an event records ids and counts, not payloads.
 *
 * Building one is on the emitter's request path: the timestamp is formatted once per second
 * (isoTimestamp), and what redaction decides for field names, methods and route patterns, a short
 * list repeated endlessly, is remembered (boundedMemo). Ids, addresses and field values are
 * scrubbed every time.
 */

/** A field value: scalars, or a short list of strings (scopes). */
export type SecurityFieldValue = string | number | boolean | null | readonly string[];
export type SecurityEventFields = Readonly<Record<string, SecurityFieldValue | undefined>>;

export interface SecurityEventContext {
  readonly requestId?: string | null | undefined;
  /** `user:<id>`, `api_key:<id>`, or null when nobody is authenticated. */
  readonly principal?: string | null | undefined;
  readonly clientAddress?: string | null | undefined;
  readonly method?: string | null | undefined;
  /** The route pattern (`/v1/posts/:id`), never the raw URL with its query. */
  readonly route?: string | null | undefined;
  /** Overrides the catalogue's outcome (rarely needed). */
  readonly outcome?: SecurityOutcome | undefined;
}

export interface SecurityEvent {
  readonly event: SecurityEventName;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly requestId: string | null;
  readonly principal: string | null;
  readonly clientAddress: string | null;
  readonly method: string | null;
  readonly route: string | null;
  readonly outcome: SecurityOutcome;
  readonly fields: Readonly<Record<string, SecurityFieldValue>>;
}

const MAX_FIELDS = 32;
const MAX_STRING = 512;
const MAX_LIST = 64;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Envelope members: a field of the same name would shadow them in the log line. */
const RESERVED = new Set(['event', 'at', 'requestId', 'principal', 'clientAddress', 'method', 'route', 'outcome', 'msg', 'level', 'time', 'reqId', 'err']);

function cleanString(value: string): string {
  const bounded = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  return scrubText(bounded);
}

function cleanValue(value: unknown): SecurityFieldValue | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return cleanString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.slice(0, MAX_LIST).map((item) => cleanString(String(item)));
  return undefined;
}

function cleanBounded(value: string, max: number): string {
  return cleanString(value.length > max ? value.slice(0, max) : value);
}

function cleanEnvelope(value: string | null | undefined, clean: (value: string) => string): string | null {
  return value === undefined || value === null || value === '' ? null : clean(value);
}

const cleanId = (value: string): string => cleanBounded(value, 128);
const cleanAddress = (value: string): string => cleanBounded(value, 64);
// Methods and route patterns come from a short list (the app's routes), ids and addresses do not:
// only the former are remembered.
const cleanMethod = boundedMemo((method) => cleanBounded(method, 16), 64);
const cleanRoute = boundedMemo((route) => cleanBounded(route, 256), 1024);

const DROP = 0;
const KEEP = 1;
const BLANK = 2;
/** What happens to a field of this name: dropped (unusual or an envelope name), kept, or blanked (sensitive). */
const fieldNameVerdict = boundedMemo((key): number => (!FIELD_NAME.test(key) || RESERVED.has(key) ? DROP : isSensitiveKey(key) ? BLANK : KEEP), 1024);

/**
 * Redacted, bounded copy of `fields`: undefined members are dropped, objects refused (dropped),
 * sensitive names blanked, unusual names and envelope names dropped.
 */
export function cleanSecurityFields(fields: SecurityEventFields | undefined): Record<string, SecurityFieldValue> {
  const out: Record<string, SecurityFieldValue> = {};
  if (fields === undefined) return out;
  let count = 0;
  for (const key of Object.keys(fields)) {
    if (count >= MAX_FIELDS) break;
    const verdict = fieldNameVerdict(key);
    if (verdict === DROP) continue;
    const raw = fields[key];
    if (raw === undefined) continue;
    const value = verdict === BLANK ? REDACTED : cleanValue(raw);
    if (value === undefined) continue;
    out[key] = value;
    count += 1;
  }
  return out;
}

/**
 * Builds one event. Throws `config.invalid` for a name outside the catalogue: emitters use the
 * catalogue's names, so a typo fails the first test that reaches it rather than logging a new name.
 *
 * @example
 * const event = buildSecurityEvent('auth.login_failed', { clientAddress: '192.0.2.1' }, { reason: 'wrong_password' });
 */
export function buildSecurityEvent(name: SecurityEventName, context: SecurityEventContext = {}, fields?: SecurityEventFields, now: number = Date.now()): SecurityEvent {
  if (!isSecurityEventName(name)) throw new PortcullisError('config.invalid', { detail: 'security event: the name is not in the catalogue' });
  return {
    event: name,
    at: isoTimestamp(now),
    requestId: cleanEnvelope(context.requestId, cleanId),
    principal: cleanEnvelope(context.principal, cleanId),
    clientAddress: cleanEnvelope(context.clientAddress, cleanAddress),
    method: cleanEnvelope(context.method, cleanMethod),
    route: cleanEnvelope(context.route, cleanRoute),
    outcome: context.outcome ?? securityEventCatalogue[name].outcome,
    fields: cleanSecurityFields(fields),
  };
}

/** `user:<id>` / `api_key:<id>`: the principal notation of events and of the admin endpoint's filter. */
export function userPrincipal(userId: string): string {
  return `user:${userId}`;
}

export function apiKeyPrincipal(keyId: string): string {
  return `api_key:${keyId}`;
}
