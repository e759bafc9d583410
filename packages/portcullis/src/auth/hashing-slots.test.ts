import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HashingSlots } from './hashing-slots.js';

describe('hashing slots', () => {
  it('never runs more than the limit at once, and runs every job in order', async () => {
    const slots = new HashingSlots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        slots.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(i);
          running -= 1;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order.slice(0, 2).sort(), [0, 1]);
    assert.equal(order.length, 10);
    assert.deepEqual(slots.load, { running: 0, waiting: 0 });
  });

  it('frees the slot when the work fails', async () => {
    const slots = new HashingSlots(1);
    await assert.rejects(slots.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await slots.run(async () => 'next'), 'next');
    assert.deepEqual(slots.load, { running: 0, waiting: 0 });
  });

  it('leaves one core to the event loop by default, but always allows one hash', () => {
    assert.ok(new HashingSlots().limit >= 1);
  });
});
