import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import fc from 'fast-check';
import { redactDeep, replaceSecretPatterns, scrubText, REDACTED } from './redaction.js';
import { redactingLoggerOptions } from './logger-options.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';

describe('redaction', () => {
  it('replaces sensitive keys at any depth', () => {
    const out = redactDeep({ user: { password: 'p', profile: { apiKey: 'k', name: 'n' } }, headers: { Authorization: 'x', Cookie: 'c' } });
    assert.deepEqual(out, { user: { password: REDACTED, profile: { apiKey: REDACTED, name: 'n' } }, headers: { Authorization: REDACTED, Cookie: REDACTED } });
  });

  it('scrubs secret-shaped text', () => {
    const text = scrubText(`Bearer ${JWT} then ${JWT} and pk_live_abcDEF123 at postgres://u:hunter2@db/x?token=abc&ok=1 password=s3cret`);
    for (const secret of [JWT, 'abcDEF123', 'hunter2', 'token=abc', 's3cret']) assert.ok(!text.includes(secret), secret);
    assert.ok(text.includes('ok=1'));
  });

  it('skips the patterns only for text none of them can match', () => {
    const fragment = fc.constantFrom('Bearer ', 'basic ', 'DIGEST ', 'eyJ', 'abc.def', '.', 'pk_live_', 'sk_test_', 'k_live', '://', 'https:', 'u:p@', '@', '=', 'token', 'password', '"', ':', ': "', ' ', 'x', '9', '_', '-', '/');
    const text = fc.oneof(fc.string(), fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('')));
    fc.assert(fc.property(text, (value) => scrubText(value) === replaceSecretPatterns(value)), { numRuns: 20_000 });
  });

  it('redacts errors, their properties and causes, and survives cycles', () => {
    const cause = new Error(`inner Bearer ${JWT}`);
    const error = Object.assign(new Error('outer token=abc123'), { secret: 'x', cause });
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic['self'] = cyclic;
    const out = JSON.stringify(redactDeep({ error, cyclic }));
    assert.ok(!out.includes(JWT) && !out.includes('abc123') && !out.includes('"secret":"x"'));
    assert.ok(out.includes('[circular]'));
  });

  it('covers every pino call: objects, errors and message strings', () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const log = pino(redactingLoggerOptions({ level: 'info' }), stream);
    log.info({ req: { method: 'GET', url: `/x?access_token=${JWT}`, headers: { authorization: 'Bearer abc' } } }, 'r');
    log.error(new Error(`failed with Bearer ${JWT}`));
    log.info(`message with password=hunter2 and ${JWT}`);
    log.info({ body: { password: 'hunter2' } });
    const all = lines.join('');
    assert.ok(!all.includes(JWT) && !all.includes('hunter2') && !all.includes('Bearer abc'), all);
    assert.equal(lines.length, 4);
  });
});
