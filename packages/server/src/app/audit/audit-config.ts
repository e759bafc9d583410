import { z } from 'zod';
import { PortcullisError } from 'portcullis/errors';

/**
 * The audit trail's and the alert rules' settings (E3, E4), read from the environment with the
 * rest of the configuration (loadConfig calls this). Each variable is in the README's "Audit trail
 * and alerts" table.
 */

export interface AuditConfig {
  /** Longest an event waits before a partial batch is written. */
  readonly flushMs: number;
  readonly batchSize: number;
  /** Events held before emitters wait for the database (back-pressure, never loss). */
  readonly queueCapacity: number;
  /** How often the chain head is logged as `audit.checkpoint` (only when it moved). */
  readonly checkpointMs: number;
  readonly alerts: {
    readonly enabled: boolean;
    readonly loginFailures: number;
    readonly loginFailuresWindowMs: number;
    readonly authzDenials: number;
    readonly authzDenialsWindowMs: number;
    readonly lockouts: number;
    readonly lockoutsWindowMs: number;
    readonly tokenReuseWindowMs: number;
    /** Alerts are also posted to `url` (through the SSRF-safe outbound client), signed with `secret`, when set. */
    readonly webhook: { readonly url: string; readonly secret: string } | undefined;
  };
  readonly validationBurst: { readonly threshold: number; readonly windowMs: number };
}

const flag = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const count = (max: number) => z.coerce.number().int().min(1).max(max);
const windowMs = z.coerce.number().int().min(1000).max(86_400_000);

const auditEnv = z.object({
  AUDIT_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(100),
  AUDIT_BATCH_SIZE: count(5000).default(200),
  AUDIT_QUEUE_CAPACITY: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
  ALERTS_ENABLED: flag.default(true),
  ALERT_LOGIN_FAILURES: count(100_000).default(20),
  ALERT_LOGIN_FAILURES_WINDOW_MS: windowMs.default(300_000),
  ALERT_AUTHZ_DENIALS: count(100_000).default(50),
  ALERT_AUTHZ_DENIALS_WINDOW_MS: windowMs.default(300_000),
  ALERT_LOCKOUTS: count(100_000).default(10),
  ALERT_LOCKOUTS_WINDOW_MS: windowMs.default(300_000),
  ALERT_TOKEN_REUSE_WINDOW_MS: windowMs.default(300_000),
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALERT_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').max(1024).optional(),
  VALIDATION_BURST_THRESHOLD: count(100_000).default(20),
  VALIDATION_BURST_WINDOW_MS: windowMs.default(60_000),
});

/** Throws `config.invalid` naming the variable. */
export function resolveAuditConfig(env: NodeJS.ProcessEnv, production: boolean): AuditConfig {
  const parsed = auditEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PortcullisError('config.invalid', { detail: `${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid value'}` });
  }
  const e = parsed.data;
  if (e.AUDIT_BATCH_SIZE > e.AUDIT_QUEUE_CAPACITY) throw new PortcullisError('config.invalid', { detail: 'AUDIT_BATCH_SIZE must not exceed AUDIT_QUEUE_CAPACITY' });
  if (e.ALERT_WEBHOOK_URL !== undefined && e.ALERT_WEBHOOK_SECRET === undefined) {
    // Unsigned alerts could be forged or replayed by anyone who learns the URL.
    throw new PortcullisError('config.invalid', { detail: 'ALERT_WEBHOOK_SECRET is required with ALERT_WEBHOOK_URL: alert deliveries are signed with it' });
  }
  if (production && e.ALERT_WEBHOOK_URL !== undefined && !e.ALERT_WEBHOOK_URL.startsWith('https://')) {
    throw new PortcullisError('config.invalid', { detail: 'ALERT_WEBHOOK_URL must be https:// in production' });
  }
  return {
    flushMs: e.AUDIT_FLUSH_MS,
    batchSize: e.AUDIT_BATCH_SIZE,
    queueCapacity: e.AUDIT_QUEUE_CAPACITY,
    checkpointMs: e.AUDIT_CHECKPOINT_MS,
    alerts: {
      enabled: e.ALERTS_ENABLED,
      loginFailures: e.ALERT_LOGIN_FAILURES,
      loginFailuresWindowMs: e.ALERT_LOGIN_FAILURES_WINDOW_MS,
      authzDenials: e.ALERT_AUTHZ_DENIALS,
      authzDenialsWindowMs: e.ALERT_AUTHZ_DENIALS_WINDOW_MS,
      lockouts: e.ALERT_LOCKOUTS,
      lockoutsWindowMs: e.ALERT_LOCKOUTS_WINDOW_MS,
      tokenReuseWindowMs: e.ALERT_TOKEN_REUSE_WINDOW_MS,
      webhook: e.ALERT_WEBHOOK_URL === undefined || e.ALERT_WEBHOOK_SECRET === undefined ? undefined : { url: e.ALERT_WEBHOOK_URL, secret: e.ALERT_WEBHOOK_SECRET },
    },
    validationBurst: { threshold: e.VALIDATION_BURST_THRESHOLD, windowMs: e.VALIDATION_BURST_WINDOW_MS },
  };
}
