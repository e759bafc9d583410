import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WEBHOOK_SIGNATURE_HEADER, verifyWebhookSignature } from '../outbound/webhook-signature.js';
import type { SecurityAlert } from './alert-engine.js';
import { webhookAlertSink } from './alert-sinks.js';

const SECRET = 'alert-sink-test-secret-0123456789abcdef';

const alert: SecurityAlert = {
  rule: 'token_reuse',
  severity: 'critical',
  groupBy: 'principal',
  key: 'user:42',
  count: 1,
  windowMs: 300_000,
  firstAt: '2026-11-22T04:00:00.000Z',
  event: 'auth.token_reuse',
  at: '2026-11-22T04:00:00.000Z',
  requestId: 'req-1',
};

describe('webhookAlertSink (E4)', () => {
  it('signs every delivery over the exact body it posts', async () => {
    const posts: { body: string; headers: Readonly<Record<string, string>> }[] = [];
    const sink = webhookAlertSink({ secret: SECRET, post: async (body, headers) => void posts.push({ body, headers }) });
    await sink.send(alert);
    assert.equal(posts.length, 1);
    const [{ body, headers }] = posts as [{ body: string; headers: Readonly<Record<string, string>> }];
    assert.equal((JSON.parse(body) as { type: string }).type, 'portcullis.alert');
    assert.equal(verifyWebhookSignature({ secret: SECRET, header: headers[WEBHOOK_SIGNATURE_HEADER], body }).ok, true);
    // A body changed in transit, or another secret, does not verify.
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, header: headers[WEBHOOK_SIGNATURE_HEADER], body: body.replace('user:42', 'user:43') }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifyWebhookSignature({ secret: `${SECRET}!`, header: headers[WEBHOOK_SIGNATURE_HEADER], body }), { ok: false, reason: 'mismatch' });
  });

  it('refuses a short secret when it is made, not at the first alert', () => {
    assert.throws(() => webhookAlertSink({ secret: 'short', post: async () => undefined }), { code: 'config.invalid' });
  });
});
