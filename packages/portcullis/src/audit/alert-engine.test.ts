import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlertEngine, DEFAULT_ALERT_RULES, type SecurityAlert } from './alert-engine.js';
import { buildSecurityEvent } from './security-event.js';
import { ThresholdWindow } from './threshold-window.js';
import { webhookAlertSink } from './alert-sinks.js';

const MINUTE = 60_000;

function engineAt(clock: { now: number }, rules = DEFAULT_ALERT_RULES) {
  const alerts: SecurityAlert[] = [];
  const engine = new AlertEngine({ rules, sinks: [{ name: 'memory', send: (alert) => void alerts.push(alert) }], now: () => clock.now });
  return { engine, alerts };
}

const failedLogin = (address: string) => buildSecurityEvent('auth.login_failed', { clientAddress: address });

const refused = (address: string, policy: string) => buildSecurityEvent('ratelimit.exceeded', { clientAddress: address }, { policy, blocked: false, retryAfterMs: 1000 });

describe('alert rules (E4)', () => {
  it('the login limit refusing first still raises the failed-login alert: 10 failures then 30 login-policy refusals are one alert', () => {
    const clock = { now: 1_000_000 };
    const { engine, alerts } = engineAt(clock);
    for (let i = 0; i < 10; i += 1) engine.observe(failedLogin('192.0.2.9'));
    for (let i = 0; i < 30; i += 1) engine.observe(refused('192.0.2.9', i % 2 === 0 ? 'login' : 'login-account'));
    assert.deepEqual(alerts.map((alert) => [alert.rule, alert.key, alert.count, alert.event]), [['login_failures_by_address', '192.0.2.9', 20, 'ratelimit.exceeded']]);
    // Refusals of other policies are not failed logins.
    for (let i = 0; i < 40; i += 1) engine.observe(refused('192.0.2.10', 'api'));
    assert.equal(alerts.length, 1, 'a busy client hitting the general limit is not credential stuffing');
  });

  it('addresses are grouped per IPv6 /64: rotating through one /64 is one incident', () => {
    const clock = { now: 1_000_000 };
    const { engine, alerts } = engineAt(clock);
    for (let i = 1; i <= 20; i += 1) engine.observe(failedLogin(`2001:db8:1:2:${i.toString(16)}::${i}`));
    assert.deepEqual(alerts.map((alert) => [alert.rule, alert.key, alert.count]), [['login_failures_by_address', '2001:db8:1:2::/64', 20]]);
    for (let i = 1; i <= 19; i += 1) engine.observe(failedLogin(`2001:db8:1:${i.toString(16)}::1`));
    assert.equal(alerts.length, 1, 'different /64s are different clients');
    for (let i = 0; i < 20; i += 1) engine.observe(failedLogin(i % 2 === 0 ? '::ffff:192.0.2.44' : '192.0.2.44'));
    assert.deepEqual(alerts.at(-1)?.key, '192.0.2.44', 'IPv4-mapped IPv6 is the IPv4 address');
  });

  it('where/whereFor filters are validated', () => {
    assert.throws(() => new AlertEngine({ rules: [{ name: 'x', events: ['auth.login_failed'], groupBy: 'all', threshold: 1, windowMs: 1000, where: { policy: [] } }] }), /where/);
    assert.throws(() => new AlertEngine({ rules: [{ name: 'x', events: ['auth.login_failed'], groupBy: 'all', threshold: 1, windowMs: 1000, whereFor: { 'ratelimit.exceeded': { policy: ['login'] } } }] }), /where/);
    const clock = { now: 0 };
    const { engine, alerts } = engineAt(clock, [{ name: 'x', events: ['ratelimit.exceeded'], groupBy: 'all', threshold: 2, windowMs: 1000, where: { policy: ['login'] } }]);
    engine.observe(refused('192.0.2.1', 'api'));
    engine.observe(refused('192.0.2.1', 'login'));
    assert.equal(alerts.length, 0);
    engine.observe(refused('192.0.2.2', 'login'));
    assert.equal(alerts.length, 1);
  });

  it('20 failed logins from one address in 5 minutes: one alert at the 20th, none while the incident continues', () => {
    const clock = { now: 1_000_000 };
    const { engine, alerts } = engineAt(clock);
    for (let i = 1; i <= 19; i += 1) {
      engine.observe(failedLogin('192.0.2.7'));
      clock.now += 1000;
    }
    assert.equal(alerts.length, 0, 'below the threshold');
    engine.observe(failedLogin('192.0.2.7'));
    assert.equal(alerts.length, 1, 'the 20th raises it');
    assert.deepEqual({ rule: alerts[0]?.rule, key: alerts[0]?.key, count: alerts[0]?.count, groupBy: alerts[0]?.groupBy }, { rule: 'login_failures_by_address', key: '192.0.2.7', count: 20, groupBy: 'clientAddress' });
    for (let i = 0; i < 200; i += 1) {
      clock.now += 2000;
      engine.observe(failedLogin('192.0.2.7'));
    }
    assert.equal(alerts.length, 1, 'the attack goes on for minutes: still one alert');
    for (let i = 0; i < 19; i += 1) engine.observe(failedLogin('198.51.100.1'));
    assert.equal(alerts.length, 1, 'another address counts on its own');
  });

  it('a new incident after a whole window below the threshold alerts again', () => {
    const clock = { now: 0 };
    const { engine, alerts } = engineAt(clock);
    for (let i = 0; i < 20; i += 1) engine.observe(failedLogin('192.0.2.8'));
    assert.equal(alerts.length, 1);
    clock.now += 5 * MINUTE + 1;
    for (let i = 0; i < 19; i += 1) engine.observe(failedLogin('192.0.2.8'));
    assert.equal(alerts.length, 1, 'the quiet window ended the incident; 19 is not a new one');
    engine.observe(failedLogin('192.0.2.8'));
    assert.equal(alerts.length, 2, 'the 20th of the new window is');
  });

  it('any token reuse alerts, once per principal and window; authz denials by principal at 50', () => {
    const clock = { now: 0 };
    const { engine, alerts } = engineAt(clock);
    const reuse = (user: string) => buildSecurityEvent('auth.token_reuse', { principal: `user:${user}` });
    engine.observe(reuse('a'));
    engine.observe(reuse('a'));
    engine.observe(reuse('b'));
    assert.deepEqual(alerts.map((alert) => `${alert.rule}:${alert.key}:${alert.severity}`), ['token_reuse:user:a:critical', 'token_reuse:user:b:critical']);
    const denied = buildSecurityEvent('authz.denied', { principal: 'user:c' });
    for (let i = 0; i < 49; i += 1) engine.observe(denied);
    assert.equal(alerts.length, 2);
    engine.observe(denied);
    assert.equal(alerts.at(-1)?.rule, 'authz_denials_by_principal');
    for (let i = 0; i < 60; i += 1) engine.observe(buildSecurityEvent('authz.denied', { clientAddress: '192.0.2.1' }));
    assert.equal(alerts.length, 3, 'anonymous denials have no principal to group by');
  });

  it('a failing sink never stops the others, and is reported', async () => {
    const reached: string[] = [];
    const failures: string[] = [];
    const engine = new AlertEngine({
      rules: [{ name: 'any_reuse', events: ['auth.token_reuse'], groupBy: 'all', threshold: 1, windowMs: MINUTE }],
      sinks: [
        { name: 'throws', send: () => { throw new Error('boom'); } },
        webhookAlertSink({ secret: 'a-test-alert-webhook-secret-of-32b', post: () => Promise.reject(new Error('unreachable')) }),
        { name: 'works', send: (alert) => void reached.push(alert.rule) },
      ],
      onSinkError: (_error, sink) => failures.push(sink),
    });
    engine.observe(buildSecurityEvent('auth.token_reuse', {}));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reached, ['any_reuse']);
    assert.deepEqual(failures.sort(), ['throws', 'webhook']);
  });

  it('refuses rules on names outside the catalogue, and duplicate names', () => {
    assert.throws(() => new AlertEngine({ rules: [{ name: 'x', events: ['auth.nope' as never], groupBy: 'all', threshold: 1, windowMs: 1000 }] }), /catalogued/);
    const rule = { name: 'x', events: ['auth.login_failed'], groupBy: 'all', threshold: 1, windowMs: 1000 } as const;
    assert.throws(() => new AlertEngine({ rules: [rule, rule] }), /unique/);
  });

  it('memory stays bounded however many addresses an attacker sprays', () => {
    const window = new ThresholdWindow({ threshold: 20, windowMs: 5 * MINUTE, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i += 1) window.record(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);
    assert.equal(window.size, 1000);
    // A key under attack keeps its incident while sprayed keys come and go.
    const hot = new ThresholdWindow({ threshold: 3, windowMs: 5 * MINUTE, maxKeys: 10 });
    let opened = 0;
    for (let i = 0; i < 100; i += 1) {
      if (hot.record('attacker', i) !== undefined) opened += 1;
      hot.record(`spray-${i}`, i);
    }
    assert.equal(opened, 1);
  });
});
