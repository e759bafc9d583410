import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SCOPE_PATTERN, assertScopes, requireScopes, scopesWithin } from './api-key-scopes.js';

describe('assertScopes', () => {
  it('accepts plain lower-case scope names', () => {
    assert.doesNotThrow(() => assertScopes([]));
    assert.doesNotThrow(() => assertScopes(['orders:read', 'billing.invoices:write', 'a', `a${'b'.repeat(63)}`, 'x_y-z:1']));
  });

  it('refuses bad names as config.invalid, naming the position and not the value', () => {
    for (const bad of ['', 'Orders:read', '1orders', ':read', 'orders read', 'orders/*', 'orders:*', `a${'b'.repeat(64)}`, 'ordérs', 'orders\n']) {
      assert.throws(() => assertScopes(['ok', bad]), (error: { code?: string; detail?: string }) => {
        assert.equal(error.code, 'config.invalid');
        assert.match(error.detail ?? '', /scopes\[1\]/);
        if (bad.length > 0) assert.ok(!(error.detail ?? '').includes(bad), bad);
        return true;
      });
    }
    assert.throws(() => assertScopes('orders:read' as unknown as string[]), { code: 'config.invalid' });
    assert.throws(() => assertScopes([42 as unknown as string]), { code: 'config.invalid' });
  });

  it('agrees with SCOPE_PATTERN on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (scope) => {
        let accepted = true;
        try {
          assertScopes([scope]);
        } catch {
          accepted = false;
        }
        assert.equal(accepted, SCOPE_PATTERN.test(scope));
      }),
    );
  });
});

describe('requireScopes', () => {
  const granted = new Set(['orders:read', 'profile:read']);

  it('passes when every required scope is granted', () => {
    assert.doesNotThrow(() => requireScopes(granted, []));
    assert.doesNotThrow(() => requireScopes(granted, ['orders:read', 'profile:read']));
  });

  it('throws auth.scope_missing naming the first missing scope', () => {
    assert.throws(() => requireScopes(granted, ['orders:read', 'orders:write', 'billing:read']), (error: { code?: string; status?: number; detail?: string }) => {
      assert.equal(error.code, 'auth.scope_missing');
      assert.equal(error.status, 403);
      assert.match(error.detail ?? '', /"orders:write"/);
      assert.doesNotMatch(error.detail ?? '', /billing/);
      return true;
    });
  });

  it('compares exactly: no prefix, case or wildcard match', () => {
    for (const near of ['orders', 'orders:read:all', 'Orders:read', 'orders:*']) {
      assert.throws(() => requireScopes(new Set(['orders:read', '*']), [near]), { code: 'auth.scope_missing' });
    }
  });
});

describe('scopesWithin', () => {
  it('returns the first requested scope outside allowed, or undefined', () => {
    const allowed = ['orders:read', 'orders:write'];
    assert.equal(scopesWithin([], allowed), undefined);
    assert.equal(scopesWithin(['orders:read'], allowed), undefined);
    assert.equal(scopesWithin(['orders:read', 'admin', 'billing:read'], allowed), 'admin');
    assert.equal(scopesWithin(['admin'], new Set(allowed)), 'admin');
    assert.equal(scopesWithin(['orders:write'], new Set(allowed)), undefined);
    assert.equal(scopesWithin(['orders:read'], []), 'orders:read');
  });
});
