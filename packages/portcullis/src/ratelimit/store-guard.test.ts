import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLimiter } from './memory-limiter.js';
import { StoreGuard, type FailMode, type StoreStateEvent } from './store-guard.js';
import type { RateLimitDecision, RateLimiter } from './types.js';

/**
 * A remote-style limiter whose health the test controls: it answers from a memory limiter
 * asynchronously, or fails, or never answers. The guard's logic is under test, not a store.
 */
class ControlledStore implements RateLimiter {
  readonly inner = createMemoryLimiter({ algorithm: 'fixed-window', limit: 3, windowMs: 60_000 });
  readonly spec = this.inner.spec;
  mode: 'up' | 'error' | 'hang' = 'up';
  calls = 0;

  decide(key: string, cost = 1): Promise<RateLimitDecision> {
    this.calls += 1;
    if (this.mode === 'error') return Promise.reject(Object.assign(new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5'), { code: 'ECONNREFUSED' }));
    if (this.mode === 'hang') return new Promise(() => undefined);
    return Promise.resolve(this.inner.decide(key, cost));
  }

  refund(key: string, cost = 1): Promise<void> {
    if (this.mode !== 'up') return Promise.reject(new Error('down'));
    this.inner.refund(key, cost);
    return Promise.resolve();
  }
}

function guarded(failMode: FailMode, events: StoreStateEvent[], probeAfterMs = 50): { store: ControlledStore; guard: StoreGuard } {
  const store = new ControlledStore();
  const guard = new StoreGuard(store, { policy: 'api', failMode, timeoutMs: 40, probeAfterMs, onStateChange: (event) => events.push(event) });
  return { store, guard };
}

describe('StoreGuard fail modes', () => {
  it('closed: refuses with 503 ratelimit.unavailable and Retry-After, never a 500', async () => {
    const events: StoreStateEvent[] = [];
    const { store, guard } = guarded('closed', events);
    store.mode = 'error';
    await assert.rejects(guard.decide('k'), (error: Record<string, unknown>) => {
      assert.equal(error['code'], 'ratelimit.unavailable');
      assert.equal(error['status'], 503);
      assert.deepEqual(error['headers'], { 'retry-after': '1' });
      return true;
    });
  });

  it('open: admits without counting', async () => {
    const { store, guard } = guarded('open', []);
    store.mode = 'error';
    for (let i = 0; i < 10; i += 1) {
      const decision = await guard.decide('k');
      assert.equal(decision.allowed, true);
      assert.equal(decision.source, 'open');
    }
  });

  it('local: keeps limiting in process with the same spec', async () => {
    const { store, guard } = guarded('local', []);
    store.mode = 'error';
    const allowed = [];
    for (let i = 0; i < 5; i += 1) allowed.push((await guard.decide('k')).allowed);
    assert.deepEqual(allowed, [true, true, true, false, false]);
  });

  it('bounds a hanging store by the timeout', async () => {
    const { store, guard } = guarded('closed', []);
    store.mode = 'hang';
    const started = Date.now();
    await assert.rejects(guard.decide('k'), { code: 'ratelimit.unavailable' });
    const waited = Date.now() - started;
    assert.ok(waited >= 35 && waited < 1000, `waited ${waited} ms`);
  });

  it('reports the switch once and the recovery once, without the error text, and stops asking a dead store', async () => {
    const events: StoreStateEvent[] = [];
    const { store, guard } = guarded('local', events, 100);
    assert.equal((await guard.decide('k')).source, 'store');
    store.mode = 'error';
    for (let i = 0; i < 20; i += 1) await guard.decide(`k${i}`);
    assert.equal(store.calls, 2, 'after the failure, the store is left alone until the probe time');
    assert.deepEqual(events, [{ event: 'ratelimit.store_degraded', policy: 'api', failMode: 'local', reason: 'ECONNREFUSED' }]);
    assert.ok(!JSON.stringify(events).includes('hunter2'));
    await new Promise((resolve) => setTimeout(resolve, 120));
    store.mode = 'up';
    assert.equal((await guard.decide('k')).source, 'store');
    assert.equal(guard.isDegraded, false);
    assert.deepEqual(events.map((event) => event.event), ['ratelimit.store_degraded', 'ratelimit.store_recovered']);
  });

  it('probes with one request at a time while degraded', async () => {
    const { store, guard } = guarded('open', [], 10);
    store.mode = 'error';
    await guard.decide('k');
    await new Promise((resolve) => setTimeout(resolve, 20));
    store.mode = 'hang';
    const before = store.calls;
    const decisions = await Promise.all(Array.from({ length: 50 }, () => guard.decide('k')));
    assert.equal(store.calls - before, 1);
    assert.ok(decisions.every((decision) => decision.allowed));
  });
});
