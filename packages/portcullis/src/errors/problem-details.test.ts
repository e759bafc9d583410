import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortcullisError } from './portcullis-error.js';
import { toProblem } from './problem-details.js';
import { errorCatalogue } from './catalogue.js';

describe('toProblem', () => {
  it('keeps the code, status, title and server-authored detail of an operational error', () => {
    const problem = toProblem(new PortcullisError('transport.https_required', { detail: 'use https', headers: { a: 'b' } }), 'id-1');
    assert.equal(problem.status, 403);
    assert.deepEqual(problem.headers, { a: 'b' });
    assert.equal(problem.unexpected, false);
    assert.deepEqual(problem.body, {
      type: 'https://portcullis.dev/problems/https-required',
      title: 'HTTPS is required',
      status: 403,
      code: 'transport.https_required',
      errorId: 'id-1',
      detail: 'use https',
    });
  });

  it('turns anything else into a bare 500 that reveals nothing', () => {
    for (const thrown of [new Error('SELECT * FROM users; /srv/app.ts'), 'string', null, { statusCode: 400, message: 'x' }]) {
      const problem = toProblem(thrown, 'id-2');
      assert.equal(problem.status, 500);
      assert.equal(problem.unexpected, true);
      assert.deepEqual(Object.keys(problem.body).sort(), ['code', 'errorId', 'status', 'title', 'type']);
      assert.ok(!JSON.stringify(problem.body).includes('SELECT'));
    }
  });

  it('every catalogue entry has a status, a title and a unique slug', () => {
    const slugs = new Set<string>();
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      assert.ok(spec.status >= 400 && spec.status < 600, code);
      assert.ok(spec.title.length > 0, code);
      assert.ok(!slugs.has(spec.slug), `duplicate slug ${spec.slug}`);
      slugs.add(spec.slug);
    }
  });
});
