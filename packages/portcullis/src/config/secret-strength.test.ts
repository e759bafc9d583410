import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertStrongSecret, describeDefaultCredentials, describeWeakSecret, generateSecret } from './secret-strength.js';

const RULE = { name: 'JWT_SECRET', minBytes: 32 };

describe('secret strength (A10)', () => {
  it('accepts a generated secret', () => {
    assert.equal(describeWeakSecret(generateSecret(32), RULE), undefined);
  });

  it('names the variable for missing, short, placeholder and low-variety secrets, never echoing them', () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /JWT_SECRET is missing/],
      ['   ', /JWT_SECRET is missing/],
      ['short-but-random-9f8a', /JWT_SECRET is too short/],
      ['changeme-changeme-changeme-changeme!!', /default or placeholder/],
      ['a'.repeat(64), /default or placeholder|not random/],
      ['abababababababababababababababababab', /not random enough/],
    ];
    for (const [value, expected] of cases) {
      const message = describeWeakSecret(value, RULE);
      assert.match(message ?? '', expected, String(value));
      if (value !== undefined && value.trim() !== '') assert.ok(!message!.includes(value));
    }
    assert.throws(() => assertStrongSecret('x', RULE), { code: 'config.invalid' });
  });

  it('checks decoded length for base64 keys', () => {
    const rule = { name: 'ENCRYPTION_KEY', minBytes: 32, encoding: 'base64' as const };
    assert.match(describeWeakSecret(Buffer.alloc(16, 1).toString('base64'), rule) ?? '', /too short/);
    assert.equal(describeWeakSecret(Buffer.from(generateSecret(32), 'base64url').toString('base64'), rule), undefined);
  });

  it('refuses well-known default passwords in connection URLs', () => {
    assert.match(describeDefaultCredentials('DATABASE_URL', 'postgres://postgres:postgres@db/app') ?? '', /DATABASE_URL uses a default password/);
    assert.equal(describeDefaultCredentials('DATABASE_URL', 'postgres://app:Xk39fLq0pZ@db/app'), undefined);
    assert.equal(describeDefaultCredentials('REDIS_URL', undefined), undefined);
  });
});
