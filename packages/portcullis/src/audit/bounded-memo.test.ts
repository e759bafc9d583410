import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundedMemo } from './bounded-memo.js';
import { buildSecurityEvent } from './security-event.js';
import { REDACTED } from './redaction.js';

describe('bounded memo (E3)', () => {
  it('computes each key once while under the bound, and keeps computing (not remembering) past it', () => {
    const calls: string[] = [];
    const length = boundedMemo((key) => (calls.push(key), key.length), 2);
    assert.deepEqual([length('a'), length('bb'), length('a'), length('bb')], [1, 2, 1, 2]);
    assert.deepEqual(calls, ['a', 'bb']);
    assert.deepEqual([length('ccc'), length('ccc')], [3, 3]);
    assert.deepEqual(calls, ['a', 'bb', 'ccc', 'ccc'], 'past the bound: computed every time, nothing remembered');
  });

  it('events built with remembered field names, routes and methods are redacted as the first one was, past every bound', () => {
    const build = (route: string, method: string, fields: Record<string, string>) => buildSecurityEvent('auth.login_failed', { route, method }, fields);
    for (let round = 0; round < 3; round += 1) {
      const event = build('/v1/x?token=abc123', 'POST password=hunter2', { password: 'hunter2', reason: 'Bearer abc.def', event: 'spoofed' });
      assert.equal(event.route, `/v1/x?token=${REDACTED}`);
      assert.equal(event.method, `POST password=${REDACTED}`, 'bounded to 16, then scrubbed, as before');
      assert.deepEqual(event.fields, { password: REDACTED, reason: `Bearer ${REDACTED}` });
    }
    // Fill the caches with ever-new names and routes: the verdicts stay right after the bound.
    for (let index = 0; index < 3000; index += 1) {
      const event = build(`/v1/r${index}/secret=s${index}`, `M${index}`, { [`apiKey${index}`]: 'k', [`note${index}`]: `password=p${index}` });
      assert.equal(event.route, `/v1/r${index}/secret=${REDACTED}`);
      assert.deepEqual(event.fields, { [`apiKey${index}`]: REDACTED, [`note${index}`]: `password=${REDACTED}` });
    }
  });
});
