import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { SAFE_REQUEST_ID, newRequestId, requestIdFor } from './request-id.js';

const withHeader = (value: string | undefined): IncomingMessage => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;

describe('request ids', () => {
  it('mints 16-character base64url ids that do not repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = newRequestId();
      assert.match(id, /^[A-Za-z0-9_-]{16}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 50_000);
  });

  it('keeps a safe caller id and replaces anything else', () => {
    assert.equal(requestIdFor(withHeader('trace-1.2:3_x')), 'trace-1.2:3_x');
    for (const bad of ['', ' x', 'a b', 'x'.repeat(129), 'a\u0000b', '<script>', '.dot-first']) {
      const id = requestIdFor(withHeader(bad));
      assert.notEqual(id, bad);
      assert.match(id, SAFE_REQUEST_ID);
    }
    assert.match(requestIdFor(withHeader(undefined)), /^[A-Za-z0-9_-]{16}$/);
  });
});
