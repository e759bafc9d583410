import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeyUsageRecorder, type ApiKeyUsageBatch } from './api-key-usage.js';

const NOON = Date.UTC(2025, 2, 10, 12);
const HOUR = 3_600_000;

/** A sink that keeps every batch it accepts and refuses while `failing`. */
function memorySink() {
  const batches: ApiKeyUsageBatch[] = [];
  const state = { failing: false, calls: 0 };
  const sink = async (batch: ApiKeyUsageBatch): Promise<void> => {
    state.calls += 1;
    if (state.failing) throw new Error('database down');
    batches.push(batch);
  };
  /** Sums every accepted count by `keyId route day`. */
  const totals = (): Record<string, number> => {
    const sums: Record<string, number> = {};
    for (const { keyId, route, day, count } of batches.flatMap((batch) => batch.counts)) {
      const id = `${keyId} ${route} ${day}`;
      sums[id] = (sums[id] ?? 0) + count;
    }
    return sums;
  };
  return { sink, batches, state, totals };
}

describe('ApiKeyUsageRecorder', () => {
  it('counts per key, route and day, with the latest use per key, and adds up across flushes', async () => {
    const { sink, batches, totals } = memorySink();
    const usage = new ApiKeyUsageRecorder({ sink });
    usage.record('k1', 'GET /orders', NOON + 2);
    usage.record('k1', 'GET /orders', NOON + 1);
    usage.record('k1', 'POST /orders', NOON);
    usage.record('k2', 'GET /orders', NOON);
    await usage.flush();
    assert.deepEqual(batches[0]?.lastUsed, [{ keyId: 'k1', at: NOON + 2 }, { keyId: 'k2', at: NOON }]);
    usage.record('k1', 'GET /orders', NOON + 5);
    await usage.flush();
    await usage.flush();
    assert.equal(batches.length, 2, 'an empty flush does not call the sink');
    assert.deepEqual(batches[1], { counts: [{ keyId: 'k1', route: 'GET /orders', day: '2025-03-10', count: 1 }], lastUsed: [{ keyId: 'k1', at: NOON + 5 }] });
    assert.deepEqual(totals(), { 'k1 GET /orders 2025-03-10': 3, 'k1 POST /orders 2025-03-10': 1, 'k2 GET /orders 2025-03-10': 1 });
  });

  it('keeps keys and routes apart however they are spelled', async () => {
    const { sink, totals } = memorySink();
    const usage = new ApiKeyUsageRecorder({ sink });
    usage.record('a b', 'c', NOON);
    usage.record('a', 'b c', NOON);
    await usage.flush();
    assert.equal(Object.keys(totals()).length, 1, 'both spell "a b c" in this test\'s summary');
    assert.equal(totals()['a b c 2025-03-10'], 2);
    assert.equal(usage.pendingEntries, 0);
  });

  it('loses nothing when the sink fails: the batch is merged back and the error rethrown', async () => {
    const { sink, batches, state, totals } = memorySink();
    const usage = new ApiKeyUsageRecorder({ sink });
    usage.record('k1', 'GET /a', NOON);
    usage.record('k1', 'GET /a', NOON + 10);
    state.failing = true;
    await assert.rejects(usage.flush(), /database down/);
    usage.record('k1', 'GET /a', NOON + 5);
    usage.record('k2', 'GET /b', NOON);
    await assert.rejects(usage.flush(), /database down/);
    state.failing = false;
    await usage.flush();
    assert.equal(batches.length, 1);
    assert.deepEqual(totals(), { 'k1 GET /a 2025-03-10': 3, 'k2 GET /b 2025-03-10': 1 });
    assert.deepEqual(batches[0]?.lastUsed, [{ keyId: 'k1', at: NOON + 10 }, { keyId: 'k2', at: NOON }]);
  });

  it('splits counts at the UTC day boundary', async () => {
    const { sink, totals } = memorySink();
    const usage = new ApiKeyUsageRecorder({ sink });
    const midnight = Date.UTC(2025, 2, 11);
    usage.record('k1', 'GET /a', midnight - 1);
    usage.record('k1', 'GET /a', midnight);
    usage.record('k1', 'GET /a', midnight + 23 * HOUR);
    usage.record('k1', 'GET /a', Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    usage.record('k1', 'GET /a', -1);
    await usage.flush();
    assert.deepEqual(totals(), {
      'k1 GET /a 2025-03-10': 1,
      'k1 GET /a 2025-03-11': 2,
      'k1 GET /a 2024-02-29': 1,
      'k1 GET /a 1969-12-31': 1,
    });
  });

  it('close() stops the timer and flushes what is left', async () => {
    const { sink, totals, state } = memorySink();
    const usage = new ApiKeyUsageRecorder({ sink, onError: () => assert.fail('no flush should fail') });
    usage.start(100);
    assert.throws(() => usage.start(100), { code: 'config.invalid' });
    usage.record('k1', 'GET /a', NOON);
    await usage.close();
    assert.deepEqual(totals(), { 'k1 GET /a 2025-03-10': 1 });
    const calls = state.calls;
    usage.record('k1', 'GET /a', NOON);
    await sleep(250);
    assert.equal(state.calls, calls, 'the timer is stopped');
  });

  it('flushes on its timer and sends a failure to onError, keeping the counts', async () => {
    const { sink, state, totals } = memorySink();
    const errors: unknown[] = [];
    const usage = new ApiKeyUsageRecorder({ sink, onError: (error) => errors.push(error) });
    state.failing = true;
    usage.start(100);
    usage.record('k1', 'GET /a', NOON);
    await sleep(250);
    assert.ok(errors.length >= 1);
    assert.match(String(errors[0]), /database down/);
    state.failing = false;
    await sleep(150);
    assert.deepEqual(totals(), { 'k1 GET /a 2025-03-10': 1 });
    await usage.close();
  });

  it('flushes early at maxPending instead of dropping, and backs off while the sink is down', async () => {
    const { sink, state, totals } = memorySink();
    const errors: unknown[] = [];
    const usage = new ApiKeyUsageRecorder({ sink, maxPending: 3, onError: (error) => errors.push(error) });
    usage.record('k1', 'r1', NOON);
    usage.record('k1', 'r2', NOON);
    assert.equal(state.calls, 0);
    usage.record('k1', 'r3', NOON);
    assert.equal(state.calls, 1);
    await sleep(0);
    assert.equal(usage.pendingEntries, 0);

    state.failing = true;
    for (const route of ['r4', 'r5', 'r6']) usage.record('k1', route, NOON);
    await sleep(0);
    assert.equal(errors.length, 1);
    for (let i = 0; i < 50; i++) usage.record('k1', `more${i}`, NOON);
    await sleep(0);
    assert.equal(state.calls, 2, 'no retry per record while backing off');
    assert.equal(usage.pendingEntries, 53);
    state.failing = false;
    await usage.close();
    assert.equal(Object.values(totals()).reduce((sum, count) => sum + count, 0), 56);
  });

  it('refuses bad options and instants as config.invalid', () => {
    const { sink } = memorySink();
    for (const maxPending of [0, -1, 1.5, 10_000_001]) assert.throws(() => new ApiKeyUsageRecorder({ sink, maxPending }), { code: 'config.invalid' });
    assert.throws(() => new ApiKeyUsageRecorder({} as never), { code: 'config.invalid' });
    const usage = new ApiKeyUsageRecorder({ sink });
    for (const at of [Number.NaN, Infinity, 9e15]) assert.throws(() => usage.record('k1', 'r', at), { code: 'config.invalid' });
    for (const interval of [0, 9, 1.5, 3_600_001]) assert.throws(() => usage.start(interval), { code: 'config.invalid' });
    assert.equal(usage.pendingEntries, 0);
  });
});
