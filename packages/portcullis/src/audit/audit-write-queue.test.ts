import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortcullisError } from '../errors/index.js';
import { AuditWriteQueue } from './audit-write-queue.js';

/** A sink that takes `delayMs` per batch and records what it wrote, in order. */
function slowSink(delayMs: number, failFirst = 0) {
  const written: number[] = [];
  const batches: number[] = [];
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    written,
    batches,
    get maxInFlight() {
      return maxInFlight;
    },
    async write(batch: readonly number[]) {
      calls += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await sleep(delayMs);
        if (calls <= failFirst) throw new Error('database is down');
        written.push(...batch);
        batches.push(batch.length);
      } finally {
        inFlight -= 1;
      }
    },
  };
}

describe('audit write queue (E3)', () => {
  it('batches: a full batch goes at once, a partial one after the flush interval', async () => {
    const sink = slowSink(0);
    const queue = new AuditWriteQueue<number>({ write: (batch) => sink.write(batch), maxBatch: 5, flushIntervalMs: 50 });
    for (let i = 0; i < 5; i += 1) assert.equal(queue.enqueue(i), undefined);
    await sleep(10);
    assert.deepEqual(sink.written, [0, 1, 2, 3, 4], 'a full batch does not wait for the interval');
    queue.enqueue(5);
    await sleep(10);
    assert.deepEqual(sink.written.length, 5, 'a partial batch waits for the interval');
    await sleep(80);
    assert.deepEqual(sink.written, [0, 1, 2, 3, 4, 5]);
    await queue.close();
  });

  it('back-pressure: a full queue makes emitters wait, and a flood through a slow sink loses nothing', async () => {
    const sink = slowSink(15);
    const total = 500;
    // Every emitter here awaits, so letting all of them wait is safe (the default cap is capacity).
    const queue = new AuditWriteQueue<number>({ write: (batch) => sink.write(batch), capacity: 20, maxBatch: 10, flushIntervalMs: 5, maxWaiters: total });
    let waited = 0;
    let maxDepthSeen = 0;
    const emitters: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const pending = queue.enqueue(i);
      if (pending !== undefined) {
        waited += 1;
        emitters.push(pending);
      }
      maxDepthSeen = Math.max(maxDepthSeen, queue.depth);
    }
    assert.ok(waited >= total - 20, `emitters beyond capacity wait (${waited})`);
    assert.equal(maxDepthSeen, total, 'depth counts the waiting emitters too');
    await Promise.all(emitters);
    await queue.flush();
    assert.equal(queue.depth, 0);
    assert.deepEqual(sink.written, Array.from({ length: total }, (_, i) => i), 'every item written once, in order');
    assert.ok(sink.batches.every((size) => size <= 10));
    assert.equal(sink.maxInFlight, 1, 'one write at a time, so order holds');
    await queue.close();
  });

  it('an emitter awaiting a full queue resumes only once its item is taken', async () => {
    const sink = slowSink(30);
    const queue = new AuditWriteQueue<number>({ write: (batch) => sink.write(batch), capacity: 2, maxBatch: 2, flushIntervalMs: 5 });
    queue.enqueue(1);
    queue.enqueue(2);
    const third = queue.enqueue(3);
    assert.ok(third instanceof Promise, 'full: the third emitter must wait');
    let resumed = false;
    void third.then(() => (resumed = true));
    await sleep(5);
    assert.equal(resumed, false);
    await third;
    assert.ok(sink.written.length >= 2, 'room was made by a write');
    await queue.close();
    assert.deepEqual(sink.written, [1, 2, 3]);
  });

  it('a failed write keeps its batch and is retried: no loss, no duplicate', async () => {
    const sink = slowSink(1, 3);
    const failures: number[] = [];
    const queue = new AuditWriteQueue<number>({ write: (batch) => sink.write(batch), maxBatch: 4, flushIntervalMs: 5, retryDelayMs: 5, onWriteError: (_e, pending) => failures.push(pending) });
    for (let i = 0; i < 10; i += 1) queue.enqueue(i);
    await queue.flush();
    assert.equal(failures.length, 3);
    assert.ok(failures.every((pending) => pending === 10), 'nothing left the queue while writes failed');
    assert.deepEqual(sink.written, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await queue.close();
  });

  it('close writes what is left; a store that never recovers is reported with the unwritten count, not dropped silently', async () => {
    const sink = slowSink(0);
    const queue = new AuditWriteQueue<number>({ write: (batch) => sink.write(batch), flushIntervalMs: 10_000 });
    queue.enqueue(1);
    queue.enqueue(2);
    await queue.close();
    assert.deepEqual(sink.written, [1, 2], 'close flushed without waiting for the interval');
    assert.throws(() => queue.enqueue(3), (error: unknown) => isPortcullisError(error) && error.code === 'service.shutting_down');

    const broken = new AuditWriteQueue<number>({ write: () => Promise.reject(new Error('down')), retryDelayMs: 5, maxRetryDelayMs: 10 });
    broken.enqueue(1);
    broken.enqueue(2);
    await assert.rejects(broken.close(60), (error: unknown) => isPortcullisError(error) && error.code === 'storage.unavailable' && /2 events/.test(String(error.detail)));
  });

  it('waiters are bounded: 50,000 unawaited emits during an outage hold capacity + maxWaiters, and the rest are refused and counted', async () => {
    let up = false;
    const written: number[] = [];
    const queue = new AuditWriteQueue<number>({
      write: async (batch) => {
        if (!up) throw new Error('database is down');
        written.push(...batch);
      },
      capacity: 100,
      maxBatch: 50,
      flushIntervalMs: 5,
      retryDelayMs: 5,
      maxRetryDelayMs: 10,
    });
    assert.equal(queue.maxWaiters, 100, 'the default cap is the capacity');
    const waiting: Promise<void>[] = [];
    let refused = 0;
    for (let i = 0; i < 50_000; i += 1) {
      try {
        const pending = queue.enqueue(i);
        if (pending !== undefined) waiting.push(pending);
      } catch (error) {
        assert.ok(isPortcullisError(error) && error.code === 'service.overloaded', String(error));
        refused += 1;
      }
    }
    assert.equal(queue.depth, 200, 'memory stays bounded: capacity + maxWaiters');
    assert.equal(refused, 50_000 - 200);
    assert.equal(queue.overflowed, refused, 'every refusal is counted');
    up = true;
    await Promise.all(waiting);
    await queue.flush();
    assert.deepEqual(written, Array.from({ length: 200 }, (_, i) => i), 'what was taken is written, in order, once');
    await queue.close();
  });

  it('the close budget cuts a retry delay short: the unwritten count is reported on time', async () => {
    const queue = new AuditWriteQueue<number>({ write: () => Promise.reject(new Error('down')), retryDelayMs: 2_000, maxRetryDelayMs: 2_000 });
    queue.enqueue(1);
    const started = Date.now();
    await assert.rejects(queue.close(50), (error: unknown) => isPortcullisError(error) && error.code === 'storage.unavailable' && /1 events/.test(String(error.detail)));
    assert.ok(Date.now() - started < 1_000, `gave up after ${Date.now() - started} ms, not after the 2 s retry delay`);
  });

  it('refuses nonsensical settings', () => {
    assert.throws(() => new AuditWriteQueue<number>({ write: async () => undefined, capacity: 0 }), /capacity/);
    assert.throws(() => new AuditWriteQueue<number>({ write: async () => undefined, capacity: 5, maxBatch: 6 }), /maxBatch/);
  });
});
