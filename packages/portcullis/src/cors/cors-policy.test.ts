import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createCorsPolicy } from './cors-policy.js';

describe('createCorsPolicy', () => {
  const policy = createCorsPolicy({ origins: ['https://app.example.com'], credentials: true });

  it('returns our own origin string for an allowed origin', () => {
    const headers = policy.forRequest('https://app.example.com');
    assert.equal(headers?.['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(headers?.['access-control-allow-credentials'], 'true');
  });

  it('never reflects an arbitrary origin', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.string(), (url, junk) => {
        for (const origin of [new URL(url).origin, junk]) {
          if (origin === 'https://app.example.com') continue;
          assert.equal(policy.forRequest(origin), undefined, origin);
          assert.equal(policy.forPreflight(origin), undefined, origin);
        }
      }),
    );
  });

  it('refuses to start on wildcard + credentials, null, paths and non-http schemes', () => {
    for (const options of [
      { origins: ['*'], credentials: true },
      { origins: ['null'] },
      { origins: ['https://a.example/x'] },
      { origins: ['ftp://a.example'] },
      { origins: ['*', 'https://a.example'] },
      { origins: ['https://a.example'], maxAgeSeconds: -1 },
    ]) {
      assert.throws(() => createCorsPolicy(options), { code: 'config.invalid' }, JSON.stringify(options));
    }
  });

  it('a wildcard without credentials sends "*" and never to null', () => {
    const open = createCorsPolicy({ origins: ['*'] });
    assert.equal(open.forRequest('https://x.example')?.['access-control-allow-origin'], '*');
    assert.equal(open.forRequest('null'), undefined);
    assert.equal(open.forRequest('https://x.example')?.['access-control-allow-credentials'], undefined);
  });
});
