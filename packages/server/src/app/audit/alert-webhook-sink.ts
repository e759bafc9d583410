import { webhookAlertSink, type AlertSink } from 'portcullis/audit';
import { PortcullisError } from 'portcullis/errors';
import { createOutboundClient } from 'portcullis/outbound';
import type { ServerConfig } from '../../config/server-config.js';

/**
 * E4: alerts posted to ALERT_WEBHOOK_URL as JSON, through the SSRF-safe outbound client with the
 * same address and port rules as webhooks (OUTBOUND_ALLOW_ADDRESSES, OUTBOUND_ALLOWED_PORTS), so a
 * misconfigured or hostile URL can never reach an internal address. A refusal, a timeout or a
 * non-2xx answer is a failed delivery, reported as `alert.delivery_failed` with its code. Each
 * delivery is signed with ALERT_WEBHOOK_SECRET (`Portcullis-Webhook-Signature`, as the API's own
 * webhooks), which the configuration requires beside the URL.
 */
export function alertWebhookSinkFor(config: ServerConfig): AlertSink | undefined {
  const webhook = config.audit.alerts.webhook;
  if (webhook === undefined) return undefined;
  const { url, secret } = webhook;
  const client = createOutboundClient({
    allowAddresses: config.webhooks.allowAddresses,
    allowedPorts: config.webhooks.allowedPorts,
    timeoutMs: 5_000,
    maxRedirects: 0,
    userAgent: 'Portcullis-Alerts/1',
  });
  return webhookAlertSink({
    secret,
    async post(body, headers) {
      const res = await client.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        httpsOnly: config.env === 'production',
        maxResponseBytes: 64 * 1024,
      });
      if (res.status < 200 || res.status >= 300) throw new PortcullisError('outbound.status_refused', { detail: `the alert webhook answered ${res.status}` });
    },
  });
}
