import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WEBHOOK_SIGNATURE_HEADER, verifyWebhookSignature } from 'portcullis/outbound';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { auditSecrets } from './audit-trail.test-helpers.js';
import { AuthClient, newEmail, newPassword, ROOMY_LIMITS } from './identity.test-helpers.js';

// E4 through the real server: the failed-login rule with a configured threshold posts ONE alert to
// ALERT_WEBHOOK_URL (through the SSRF-safe client) however long the attack goes on, and an alert
// URL that points at a forbidden address is refused and reported, never fetched.

describe('failed-login alert with the server\'s default limits (E4)', () => {
  it('sustained failed logins from one address raise exactly one alert, though the login limit refuses first', async () => {
    // Only the defaults: RATE_LIMIT_AUTH (10 per 15 min) refuses long before ALERT_LOGIN_FAILURES (20).
    const server = await startTestServer({ ...auditSecrets(), LOAD_SHED_MAX_DELAY_MS: '0' });
    try {
      const client = new AuthClient(server.url);
      const email = newEmail('stuffed');
      const statuses: number[] = [];
      for (let i = 0; i < 40; i += 1) statuses.push((await client.login(i % 2 === 0 ? email : newEmail('sprayed'), newPassword())).status);
      assert.deepEqual([statuses.filter((s) => s === 401).length, statuses.filter((s) => s === 429).length], [10, 30], statuses.join());
      await server.app.flushSecurityEvents();
      const alerts = server.logLines().filter((line) => line['event'] === 'alert.raised');
      assert.equal(alerts.length, 1, 'one alert for the incident');
      assert.deepEqual([alerts[0]?.['rule'], alerts[0]?.['key'], alerts[0]?.['count'], alerts[0]?.['triggeredBy']], ['login_failures_by_address', '127.0.0.1', 20, 'ratelimit.exceeded']);
    } finally {
      await server.close();
    }
  });
});

const ALERT_SECRET = 'alert-receiver-shared-secret-0123456789';

describe('alerts to a webhook (E4)', () => {
  let receiver: Server;
  let port: number;
  const received: Record<string, unknown>[] = [];
  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], signature: req.headers[WEBHOOK_SIGNATURE_HEADER], raw: body, body: JSON.parse(body) as unknown });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('posts one alert per incident: at the threshold, not again while it continues', async () => {
    const server: TestServer = await startTestServer({
      ...ROOMY_LIMITS,
      ...auditSecrets(),
      ALERT_LOGIN_FAILURES: '3',
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts`,
      ALERT_WEBHOOK_SECRET: ALERT_SECRET,
      OUTBOUND_ALLOW_ADDRESSES: '127.0.0.1',
      OUTBOUND_ALLOWED_PORTS: String(port),
    });
    try {
      const client = new AuthClient(server.url);
      for (let i = 0; i < 2; i += 1) assert.equal((await client.login(newEmail('x'), newPassword())).status, 401);
      await sleep(200);
      assert.equal(received.length, 0, 'below the threshold: nothing sent');
      for (let i = 0; i < 10; i += 1) assert.equal((await client.login(newEmail('x'), newPassword())).status, 401);
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await sleep(20);
      await sleep(300);
      assert.equal(received.length, 1, 'one alert for the incident');
      const alert = (received[0]?.['body'] as { type: string; alert: Record<string, unknown> });
      assert.equal(received[0]?.['method'], 'POST');
      assert.equal(received[0]?.['contentType'], 'application/json');
      assert.equal(alert.type, 'portcullis.alert');
      // Signed: the receiver can tell it from a forged or replayed post.
      const signature = received[0]?.['signature'];
      assert.equal(typeof signature, 'string');
      assert.deepEqual(verifyWebhookSignature({ secret: ALERT_SECRET, header: signature as string, body: received[0]?.['raw'] as string }).ok, true);
      assert.deepEqual(verifyWebhookSignature({ secret: `${ALERT_SECRET}x`, header: signature as string, body: received[0]?.['raw'] as string }), { ok: false, reason: 'mismatch' });
      assert.deepEqual([alert.alert['rule'], alert.alert['key'], alert.alert['count']], ['login_failures_by_address', '127.0.0.1', 3]);
      assert.equal(server.logLines().filter((line) => line['event'] === 'alert.raised').length, 1);
    } finally {
      await server.close();
    }
  });

  it('an alert URL at a forbidden address is refused by the SSRF rules and reported, never fetched', async () => {
    const before = received.length;
    const server = await startTestServer({
      ...ROOMY_LIMITS,
      ...auditSecrets(),
      ALERT_LOGIN_FAILURES: '1',
      ALERT_WEBHOOK_URL: 'http://169.254.169.254/latest/meta-data/',
      ALERT_WEBHOOK_SECRET: ALERT_SECRET,
    });
    try {
      const client = new AuthClient(server.url);
      assert.equal((await client.login(newEmail('x'), newPassword())).status, 401);
      const deadline = Date.now() + 5000;
      const failures = () => server.logLines().filter((line) => line['event'] === 'alert.delivery_failed');
      while (failures().length === 0 && Date.now() < deadline) await sleep(20);
      assert.equal(failures().length, 1);
      assert.equal(failures()[0]?.['sink'], 'webhook');
      assert.match(JSON.stringify(failures()[0]?.['err']), /outbound\.address_refused/);
      assert.equal(server.logLines().filter((line) => line['event'] === 'alert.raised').length, 1, 'the log sink still has it');
      assert.equal(received.length, before);
    } finally {
      await server.close();
    }
  });
});
