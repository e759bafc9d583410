import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPortcullisError } from '../errors/index.js';
import { createAddressPolicy } from './forbidden-addresses.js';
import { checkOutboundUrl, portSet } from './outbound-target.js';

// V7: names reserved for this machine (RFC 6761 `localhost`) and its link (RFC 6762 `.local`) are
// refused before any lookup, like a forbidden literal; names that merely contain them are not.

const rules = { allowedPorts: portSet([80, 443]), addresses: createAddressPolicy() };

describe('checkOutboundUrl: local-only names (V7)', () => {
  it('refuses localhost, *.localhost and *.local, any case, with or without the trailing dot', () => {
    const names = ['localhost', 'localhost.', 'LocalHost', 'localhost..', 'a.localhost', 'hooks.localhost.', 'a.b.LOCALHOST', 'printer.local', 'printer.local.', 'local', 'A.LOCAL'];
    for (const name of names) {
      assert.throws(() => checkOutboundUrl(`https://${name}/in?token=secret`, rules), (error: unknown) => {
        assert.ok(isPortcullisError(error));
        assert.equal(error.code, 'outbound.address_refused', name);
        assert.ok(!JSON.stringify(error).includes('secret'), name);
        assert.equal(error.detail, 'The host is a name reserved for the local machine or link (localhost, .local).', `${name}: a fixed text, never the host`);
        return true;
      });
    }
  });

  it('accepts public names that only look similar', () => {
    for (const name of ['localhost.example.com', 'mylocalhost', 'notlocal', 'local.example.com', 'localhostx', 'example.locale']) {
      assert.equal(checkOutboundUrl(`https://${name}/in`, rules).hostname, name, name);
    }
  });
});
