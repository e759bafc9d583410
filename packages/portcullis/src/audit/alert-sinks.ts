import { PortcullisError } from '../errors/index.js';
import type { AlertSink, SecurityAlert } from './alert-engine.js';

/**
 * E4: where alerts go. The log sink writes one `alert.raised` line; the webhook sink posts the
 * alert as JSON through a transport the caller provides (the SSRF-safe outbound client, so an
 * alert URL can never be turned against internal addresses). Alerts are rare by construction (one
 * per incident), but a flood of incidents must not pile up requests: deliveries beyond
 * `maxPending` are refused and reported, never queued without bound.
 */

export interface AlertLogger {
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

/** One `alert.raised` log line per alert (error level for critical ones). */
export function logAlertSink(log: AlertLogger): AlertSink {
  return {
    name: 'log',
    send(alert) {
      const line = { ...alert, event: 'alert.raised', triggeredBy: alert.event };
      if (alert.severity === 'critical') log.error(line, `alert: ${alert.rule}`);
      else log.warn(line, `alert: ${alert.rule}`);
    },
  };
}

/** The body an alert webhook receives. */
export function alertWebhookBody(alert: SecurityAlert): string {
  return JSON.stringify({ type: 'portcullis.alert', alert });
}

export interface WebhookAlertSinkOptions {
  /**
   * Sends `body` (JSON) to the configured URL and resolves once it was accepted (2xx); rejects
   * otherwise. Use the SSRF-safe outbound client here, with its timeout.
   */
  readonly post: (body: string) => Promise<void>;
  /** Deliveries in flight at once before new ones are refused. Default 16. */
  readonly maxPending?: number;
}

/**
 * @example
 * engine.addSink(webhookAlertSink({ post: (body) => outbound.postJson(url, body) }));
 */
export function webhookAlertSink(options: WebhookAlertSinkOptions): AlertSink {
  const maxPending = options.maxPending ?? 16;
  let pending = 0;
  return {
    name: 'webhook',
    async send(alert) {
      if (pending >= maxPending) throw new PortcullisError('service.overloaded', { detail: `alert webhook: ${pending} deliveries pending; alert ${alert.rule} not sent` });
      pending += 1;
      try {
        await options.post(alertWebhookBody(alert));
      } finally {
        pending -= 1;
      }
    },
  };
}
