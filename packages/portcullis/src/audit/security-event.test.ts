import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPortcullisError } from '../errors/index.js';
import { REDACTED } from './redaction.js';
import { buildSecurityEvent } from './security-event.js';
import { SECURITY_EVENT_NAMES, securityEventCatalogue } from './security-event-catalogue.js';
import { SecurityEventBus } from './security-event-bus.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';

describe('security events (E3)', () => {
  it('the catalogue has the events the issue names, each with an outcome and a level', () => {
    for (const name of [
      'auth.login_succeeded', 'auth.login_failed', 'auth.login_locked', 'auth.token_reuse', 'auth.token_refreshed', 'auth.logout',
      'auth.password_reset_requested', 'auth.password_reset', 'auth.mfa_enabled', 'auth.mfa_failed', 'authz.denied', 'authz.hidden',
      'ratelimit.exceeded', 'ratelimit.store_degraded', 'ratelimit.store_recovered', 'input.validation_burst', 'api_key.created',
      'api_key.rotated', 'api_key.revoked', 'api_key.used', 'auth.signature_invalid', 'ssrf.refused', 'webhook.created',
      'webhook.deleted', 'admin.user_changed', 'config.warning',
    ]) {
      assert.ok(SECURITY_EVENT_NAMES.includes(name as never), name);
    }
    for (const name of SECURITY_EVENT_NAMES) assert.match(name, /^[a-z_]+(\.[a-z_]+)?$/);
    assert.equal(securityEventCatalogue['database_error'].trail, false, 'operational failures stay out of the trail');
  });

  it('fields never carry a secret: sensitive names blanked, secret-shaped text scrubbed, objects dropped, bounded', () => {
    const event = buildSecurityEvent(
      'auth.login_failed',
      { clientAddress: '192.0.2.1', requestId: 'r1', route: '/v1/auth/login', method: 'POST' },
      {
        password: 'hunter2',
        refreshToken: 'abc',
        apiKey: 'pk_live_abc',
        note: `Bearer ${JWT} and password=s3cret`,
        body: { password: 'x' } as never,
        event: 'spoofed' as never,
        'bad name': 'x',
        reason: 'wrong_password',
        long: 'x'.repeat(2000),
        scopes: ['posts:read', 'posts:write'],
        nothing: undefined,
      },
    );
    const text = JSON.stringify(event);
    for (const secret of ['hunter2', 'pk_live_abc', JWT, 's3cret', 'spoofed']) assert.ok(!text.includes(secret), secret);
    assert.equal(event.fields['password'], REDACTED);
    assert.equal(event.fields['reason'], 'wrong_password');
    assert.deepEqual(event.fields['scopes'], ['posts:read', 'posts:write']);
    assert.ok(!('body' in event.fields) && !('bad name' in event.fields) && !('nothing' in event.fields) && !('event' in event.fields));
    assert.ok(String(event.fields['long']).length <= 520);
    assert.equal(event.event, 'auth.login_failed');
    assert.equal(event.outcome, 'failure');
    assert.equal(event.principal, null);
    assert.equal(event.route, '/v1/auth/login');
  });

  it('a name outside the catalogue is refused', () => {
    assert.throws(() => buildSecurityEvent('auth.made_up' as never), (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid');
  });

  it('the bus fans out: log line with the fixed name, trail, listeners; a throwing listener stops nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = { info: (o: Record<string, unknown>) => void lines.push({ ...o, level: 'info' }), warn: (o: Record<string, unknown>) => void lines.push({ ...o, level: 'warn' }), error: (o: Record<string, unknown>) => void lines.push({ ...o, level: 'error' }) };
    const stored: string[] = [];
    const bus = new SecurityEventBus({ log: logger, trail: { store: { append: async (events) => void stored.push(...events.map((e) => e.event)) }, queue: { flushIntervalMs: 5 } }, alerts: false });
    const seen: string[] = [];
    bus.onSecurityEvent(() => {
      throw new Error('listener bug');
    });
    const off = bus.onSecurityEvent((event) => seen.push(event.event));
    bus.emit('auth.login_failed', { clientAddress: '192.0.2.1', principal: 'user:u1' }, { reason: 'wrong_password' });
    bus.emit('database_error', {}, {}, { error: new Error('connection to postgres://u:pw@db failed') });
    bus.emit('ratelimit.exceeded', { clientAddress: '192.0.2.1' }, { policy: 'api' }, { trail: false });
    off();
    bus.emit('auth.logout', {});
    await bus.flush();
    assert.deepEqual(stored, ['auth.login_failed', 'auth.logout'], 'operational events and trail:false occurrences are not stored');
    assert.deepEqual(seen, ['auth.login_failed', 'database_error', 'ratelimit.exceeded']);
    assert.deepEqual(lines.map((line) => `${String(line['event'])}:${String(line['level'])}`).slice(0, 4), ['auth.login_failed:warn', 'security_event.listener_failed:error', 'database_error:warn', 'security_event.listener_failed:error']);
    assert.equal(lines[0]?.['principal'], 'user:u1');
    assert.equal(lines[0]?.['reason'], 'wrong_password');
    await bus.close();
  });

  it('a database outage cannot grow the queue without bound: refusals are counted, logged, and fail awaiting emitters with 503', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (o: Record<string, unknown>) => void lines.push(o) };
    let up = false;
    const bus = new SecurityEventBus({
      log: logger,
      trail: { store: { append: async () => { if (!up) throw new Error('database is down'); } }, queue: { capacity: 100, maxBatch: 50, flushIntervalMs: 5, retryDelayMs: 5, maxRetryDelayMs: 10 } },
      alerts: false,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const started = Date.now();
    try {
      for (let i = 0; i < 50_000; i += 1) void bus.emit('auth.login_failed', { clientAddress: '192.0.2.1' }, { reason: 'wrong_password' });
      assert.equal(bus.queueDepth, 200, 'capacity + waiters, not 50,000');
      assert.equal(bus.trailOverflowed, 50_000 - 200);
      const awaited = bus.emit('auth.logout', {});
      assert.ok(awaited !== undefined);
      await assert.rejects(awaited, (error: unknown) => isPortcullisError(error) && error.code === 'service.overloaded' && error.status === 503);
      const overflowLines = lines.filter((line) => line['event'] === 'audit.write_failed' && line['stage'] === 'overflow');
      // At most one line a second however many refusals (a loaded machine may take over a second).
      const seconds = Math.ceil((Date.now() - started) / 1000);
      assert.ok(overflowLines.length >= 1 && overflowLines.length <= seconds + 1, `logged once a second, not once per refusal (${overflowLines.length} lines in ${seconds} s)`);
      assert.equal(overflowLines[0]?.['dropped'], 1);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, [], 'void emitters do not crash the process');
      up = true;
      await bus.flush();
      assert.equal(bus.queueDepth, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      // A failed assertion above must not leave close() retrying a dead store forever.
      up = true;
      await bus.close(1_000);
    }
  });
});
