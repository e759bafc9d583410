import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTimestamp } from './iso-timestamp.js';

// Every event's `at` is MACed into the chain: the cached formatting must give toISOString's text.

const reference = (ms: number): string => new Date(ms).toISOString();

describe('isoTimestamp (E3)', () => {
  it('equals toISOString for any time value, in any order (the per-second cache switches back and forth)', () => {
    const anyTime = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      // Around now, within a few seconds of each other: the cache hit path.
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_005_000 }),
      // Before 1970 (negative, milliseconds still count up) and the years past 9999 (six-digit years).
      fc.integer({ min: -5_000, max: 5_000 }),
      fc.integer({ min: 253_402_300_790_000, max: 253_402_300_810_000 }),
      fc.double({ noNaN: true, min: -1e13, max: 1e13 }),
    );
    fc.assert(
      fc.property(fc.array(anyTime, { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) assert.equal(isoTimestamp(ms), reference(ms), String(ms));
      }),
      { numRuns: 3000 },
    );
  });

  it('the edges: -0, the range bounds, fractions, and what toISOString refuses it refuses the same way', () => {
    for (const ms of [0, -0, -1, 999, 1000, -1000, -999, -1001, 8.64e15, -8.64e15, 1.5, -1.5, 1_700_000_000_000.9]) assert.equal(isoTimestamp(ms), reference(ms), String(ms));
    for (const ms of [8.64e15 + 1, -8.64e15 - 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => isoTimestamp(ms), RangeError, String(ms));
      assert.throws(() => reference(ms), RangeError);
    }
  });
});
