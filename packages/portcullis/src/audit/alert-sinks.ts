import { PortcullisError } from '../errors/index.js';
import { WEBHOOK_SIGNATURE_HEADER, assertWebhookSecret, signWebhookPayload } from '../outbound/webhook-signature.js';
import type { AlertSink, SecurityAlert } from './alert-engine.js';

/**
 * E4: where alerts go. The log sink writes one `alert.raised` line; the webhook sink posts the
 * alert as JSON through a transport the caller provides (the SSRF-safe outbound client, so an
 * alert URL can never be turned against internal addresses). Alerts are rare by construction (one
 * per incident), but a flood of incidents must not pile up requests: deliveries beyond
 * `maxPending` are refused and reported, never queued without bound.
 *
 * Every webhook delivery is signed like the API's own webhooks (`Portcullis-Webhook-Signature`,
 * HMAC-SHA256 under the sink's secret over the timestamp and the body; receivers check it with
 * `verifyWebhookSignature`): an alert endpoint is a URL anyone who learns it could post forged
 * alerts to, or replay old ones at, to bury a real incident.
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
   * Sends `body` (JSON) with `headers` (the signature) to the configured URL and resolves once it
   * was accepted (2xx); rejects otherwise. Use the SSRF-safe outbound client here, with its timeout.
   */
  readonly post: (body: string, headers: Readonly<Record<string, string>>) => Promise<void>;
  /** The secret deliveries are signed with (at least 16 bytes; the receiver holds it too). */
  readonly secret: string;
  /** Deliveries in flight at once before new ones are refused. Default 16. */
  readonly maxPending?: number;
}

/**
 * Throws `config.invalid` for a secret under 16 bytes.
 *
 * @example
 * engine.addSink(webhookAlertSink({ secret, post: (body, headers) => outbound.postJson(url, body, headers) }));
 */
export function webhookAlertSink(options: WebhookAlertSinkOptions): AlertSink {
  const maxPending = options.maxPending ?? 16;
  const secret = options.secret;
  // Refused now, at start-up, rather than at the first alert.
  assertWebhookSecret(secret);
  let pending = 0;
  return {
    name: 'webhook',
    async send(alert) {
      if (pending >= maxPending) throw new PortcullisError('service.overloaded', { detail: `alert webhook: ${pending} deliveries pending; alert ${alert.rule} not sent` });
      pending += 1;
      try {
        const body = alertWebhookBody(alert);
        await options.post(body, { [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(secret, body) });
      } finally {
        pending -= 1;
      }
    },
  };
}
