import { deriveAuditChainKey, LOGIN_RATE_LIMIT_POLICIES, type AlertRule, type AlertSink } from 'portcullis/audit';
import type { SecurityEventOptions } from 'portcullis/fastify';
import type { ServerConfig } from '../../config/server-config.js';
import { sqlAuditTrail } from '../../db/audit-repository.js';
import type { AppDatabase } from '../../db/open-database.js';
import { alertWebhookSinkFor } from './alert-webhook-sink.js';

/**
 * How the reference server sets up security events (E3, E4): the trail in its own database, keyed
 * by a key derived from APP_SECRET, batched per AUDIT_* settings; the default alert rules with the
 * thresholds from ALERT_* (and ALERT_WEBHOOK_URL beside the log); the validation-burst detector
 * from VALIDATION_BURST_*.
 */

/** The alert rules, with the configured thresholds (the library's defaults unless set). */
export function alertRulesFor(config: ServerConfig): AlertRule[] {
  const alerts = config.audit.alerts;
  return [
    // The login limits refuse an attacker long before 20 failures (RATE_LIMIT_AUTH): their refusals count too.
    {
      name: 'login_failures_by_address',
      events: ['auth.login_failed', 'ratelimit.exceeded'],
      whereFor: { 'ratelimit.exceeded': { policy: LOGIN_RATE_LIMIT_POLICIES } },
      groupBy: 'clientAddress',
      threshold: alerts.loginFailures,
      windowMs: alerts.loginFailuresWindowMs,
    },
    { name: 'token_reuse', events: ['auth.token_reuse'], groupBy: 'principal', threshold: 1, windowMs: alerts.tokenReuseWindowMs, severity: 'critical' },
    { name: 'authz_denials_by_principal', events: ['authz.denied', 'authz.hidden'], groupBy: 'principal', threshold: alerts.authzDenials, windowMs: alerts.authzDenialsWindowMs },
    { name: 'lockout_burst', events: ['auth.login_locked'], groupBy: 'all', threshold: alerts.lockouts, windowMs: alerts.lockoutsWindowMs },
  ];
}

/** How long closing the app retries the trail: half of SHUTDOWN_TIMEOUT_MS, at least 100 ms. */
export function auditCloseBudgetMs(shutdownTimeoutMs: number): number {
  return Math.max(100, Math.floor(shutdownTimeoutMs / 2));
}

export function securityEventOptionsFor(config: ServerConfig, database: AppDatabase, extraSinks: readonly AlertSink[] = []): SecurityEventOptions {
  const audit = config.audit;
  const webhook = alertWebhookSinkFor(config);
  const sinks = webhook === undefined ? extraSinks : [...extraSinks, webhook];
  return {
    trail: sqlAuditTrail(database.db, deriveAuditChainKey(config.secrets.appSecret), { sqlite: database.sqlite }),
    queue: { flushIntervalMs: audit.flushMs, maxBatch: audit.batchSize, capacity: audit.queueCapacity },
    // Half the shutdown budget: main.ts exits when SHUTDOWN_TIMEOUT_MS runs out, and the bus must
    // give up (and log how many events it could not write) well before that, after requests drained.
    closeTimeoutMs: auditCloseBudgetMs(config.shutdownTimeoutMs),
    alerts: audit.alerts.enabled ? { rules: alertRulesFor(config), sinks } : false,
    validationBurst: audit.validationBurst,
  };
}
