import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dailyQuota, monthlyQuota } from './limit-spec.js';
import { createMemoryLimiter } from './memory-limiter.js';

const at = (iso: string) => Date.parse(iso);

describe('quotas (R4)', () => {
  it('a daily quota is one UTC day: it refills at midnight UTC and says how long until then', () => {
    const limiter = createMemoryLimiter(dailyQuota(2));
    assert.equal(limiter.decide('k', 1, at('2026-11-21T00:00:00.000Z')).allowed, true);
    const second = limiter.decide('k', 1, at('2026-11-21T23:00:00.000Z'));
    assert.equal(second.allowed, true);
    assert.equal(second.resetAfterMs, 3_600_000);
    const refused = limiter.decide('k', 1, at('2026-11-21T23:59:59.999Z'));
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 1);
    assert.equal(limiter.decide('k', 1, at('2026-11-22T00:00:00.000Z')).allowed, true);
  });

  it('a monthly quota follows UTC calendar months, short and leap months included', () => {
    const limiter = createMemoryLimiter(monthlyQuota(3));
    const spend = (iso: string, cost = 1) => limiter.decide('k', cost, at(iso));
    assert.equal(spend('2028-01-01T00:00:00.000Z', 3).allowed, true);
    const refused = spend('2028-01-31T23:00:00.000Z');
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 3_600_000, 'until 1 February');
    assert.equal(spend('2028-02-01T00:00:00.000Z', 3).allowed, true);
    const february = spend('2028-02-29T12:00:00.000Z');
    assert.equal(february.allowed, false, '29 February 2028 is still February');
    assert.equal(february.retryAfterMs, 12 * 3_600_000);
    assert.equal(spend('2028-03-01T00:00:00.000Z').allowed, true);
    assert.equal(spend('2028-12-31T23:59:59.999Z', 3).allowed, true);
    assert.equal(spend('2029-01-01T00:00:00.000Z', 3).allowed, true, 'December to January');
  });

  it('never admits more than the quota within one calendar month (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 * 86_400_000 }), fc.integer({ min: 0, max: 4 })), { maxLength: 80 }),
        (quota, steps) => {
          const limiter = createMemoryLimiter(monthlyQuota(quota));
          const perMonth = new Map<string, number>();
          let now = at('2027-01-15T00:00:00.000Z');
          for (const [advance, cost] of steps) {
            now += advance;
            const decision = limiter.decide('k', cost, now);
            const month = new Date(now).toISOString().slice(0, 7);
            const used = perMonth.get(month) ?? 0;
            assert.equal(decision.allowed, used + cost <= quota);
            if (decision.allowed) perMonth.set(month, used + cost);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a calendar on anything but a fixed window', () => {
    assert.throws(() => createMemoryLimiter({ algorithm: 'gcra', limit: 5, windowMs: 1000, calendar: 'month' }), { code: 'config.invalid' });
  });
});
