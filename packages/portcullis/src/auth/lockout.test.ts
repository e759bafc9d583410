import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_LOCKOUT_POLICY, lockoutAfterFailure, lockoutPolicy, lockoutRemainingMs, type LockoutRecord } from './lockout.js';

describe('lockout', () => {
  it('locks after the threshold, doubling each further failure up to the cap', () => {
    const policy = lockoutPolicy({ threshold: 3, baseDelayMs: 1000, maxDelayMs: 5000 });
    let record: LockoutRecord | undefined;
    const locks: number[] = [];
    let now = 0;
    for (let i = 0; i < 7; i++) {
      now += 10_000;
      record = lockoutAfterFailure(record, now, policy);
      locks.push(lockoutRemainingMs(record, now));
    }
    assert.deepEqual(locks, [0, 0, 1000, 2000, 4000, 5000, 5000]);
    assert.equal(lockoutRemainingMs(record, now + 5000), 0);
  });

  it('forgets failures after a quiet period', () => {
    const policy = lockoutPolicy({ threshold: 2, forgetAfterMs: 1000 });
    const first = lockoutAfterFailure(undefined, 0, policy);
    assert.equal(lockoutAfterFailure(first, 999, policy).failures, 2);
    assert.equal(lockoutAfterFailure(first, 1000, policy).failures, 1);
  });

  it('never locks for longer than the cap, whatever the sequence of failures', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 200 }), (gaps) => {
        let record: LockoutRecord | undefined;
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          record = lockoutAfterFailure(record, now);
          assert.ok(lockoutRemainingMs(record, now) <= DEFAULT_LOCKOUT_POLICY.maxDelayMs);
        }
      }),
    );
  });

  it('refuses a nonsensical policy', () => {
    for (const bad of [{ threshold: 0 }, { baseDelayMs: -1 }, { maxDelayMs: 10, baseDelayMs: 20 }, { forgetAfterMs: 1.5 }]) {
      assert.throws(() => lockoutPolicy(bad), { code: 'config.invalid' });
    }
  });
});
