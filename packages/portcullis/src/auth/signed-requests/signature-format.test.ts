import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isPortcullisError } from '../../errors/index.js';
import { formatSignatureHeader, parseSignatureHeader, stringToSign, type SignatureHeader } from './signature-format.js';

const NONCE = 'k3Jq9xVt2LmP0aZb';
const SIG = randomBytes(32).toString('base64url');
const VALID = `t=1700000000, n=${NONCE}, v1=${SIG}`;

function refusedAs(code: string, run: () => unknown): void {
  assert.throws(run, (error) => isPortcullisError(error) && error.code === code);
}

describe('stringToSign', () => {
  it('matches the documented test vector, computed independently with openssl', () => {
    const text = stringToSign({ method: 'post', pathWithQuery: '/v1/orders?b=2&a=1', timestamp: 1_700_000_000, nonce: NONCE, body: '{"amount":100}' });
    assert.equal(text, 'PORTCULLIS-HMAC-SHA256\nPOST\n/v1/orders?b=2&a=1\n1700000000\nk3Jq9xVt2LmP0aZb\n4d4bbe59c6aad22442cde199a6a8a5f034405fcd78fb5a81c24ef249de1c45f1');
  });

  it('hashes no body, an empty string and empty bytes alike, and a string as its UTF-8 bytes', () => {
    const parts = { method: 'GET', pathWithQuery: '/', timestamp: 1, nonce: NONCE };
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    assert.ok(stringToSign(parts).endsWith(`\n${empty}`));
    assert.equal(stringToSign({ ...parts, body: '' }), stringToSign(parts));
    assert.equal(stringToSign({ ...parts, body: new Uint8Array() }), stringToSign(parts));
    assert.equal(stringToSign({ ...parts, body: 'é' }), stringToSign({ ...parts, body: Buffer.from('é', 'utf8') }));
    assert.notEqual(stringToSign({ ...parts, body: 'é' }), stringToSign({ ...parts, body: Buffer.from('é', 'latin1') }));
  });

  it('refuses parts that could smuggle another line or are outside the format, as config.invalid', () => {
    const parts = { method: 'GET', pathWithQuery: '/a', timestamp: 1, nonce: NONCE };
    for (const bad of [
      { method: 'GET\nPOST' },
      { method: '' },
      { method: 'G E T' },
      { pathWithQuery: '/a\n1700000000' },
      { pathWithQuery: '/a b' },
      { pathWithQuery: '' },
      { pathWithQuery: '/é' },
      { pathWithQuery: `/${'a'.repeat(8192)}` },
      { timestamp: -1 },
      { timestamp: 1.5 },
      { timestamp: Number.NaN },
      { timestamp: 100_000_000_000 },
      { nonce: 'short' },
      { nonce: `${NONCE}\n` },
      { body: 42 as unknown as string },
    ]) {
      refusedAs('config.invalid', () => stringToSign({ ...parts, ...bad }));
    }
  });
});

describe('parseSignatureHeader', () => {
  it('reads the three members of a valid header, also as a one-element array', () => {
    assert.deepEqual(parseSignatureHeader(VALID), { timestamp: 1_700_000_000, nonce: NONCE, signature: SIG });
    assert.deepEqual(parseSignatureHeader([VALID]), parseSignatureHeader(VALID));
    assert.equal(parseSignatureHeader(`t=0, n=${NONCE}, v1=${SIG}`).timestamp, 0);
  });

  it('refuses a missing header as auth.signature_invalid', () => {
    for (const missing of [undefined, []]) refusedAs('auth.signature_invalid', () => parseSignatureHeader(missing));
  });

  it('refuses every malformed variant as auth.signature_invalid', () => {
    const n = NONCE;
    const nonCanonical = `${SIG.slice(0, 42)}B`;
    const variants: unknown[] = [
      '',
      ' ',
      `t=1700000000, n=${n}`,
      `n=${n}, v1=${SIG}`,
      `t=1700000000, v1=${SIG}`,
      `n=${n}, t=1700000000, v1=${SIG}`,
      `v1=${SIG}, t=1700000000, n=${n}`,
      `t=1700000000, t=1700000000, n=${n}, v1=${SIG}`,
      `t=1700000000, n=${n}, n=${n}, v1=${SIG}`,
      `t=1700000000, n=${n}, v1=${SIG}, v1=${SIG}`,
      `t=1700000000, n=${n}, v1=${SIG}, v2=${SIG}`,
      `x=1, t=1700000000, n=${n}, v1=${SIG}`,
      `t=1700000000,n=${n},v1=${SIG}`,
      `t=1700000000,  n=${n}, v1=${SIG}`,
      `t=1700000000, n=${n},v1=${SIG}`,
      `t=1700000000, n=${n},  v1=${SIG}`,
      `t=1700000000, n=${n}, \tv1=${SIG}`,
      `t=1700000000,\tn=${n}, v1=${SIG}`,
      ` ${VALID}`,
      `${VALID} `,
      `${VALID}\n`,
      `${VALID},`,
      `t =1700000000, n=${n}, v1=${SIG}`,
      `t= 1700000000, n=${n}, v1=${SIG}`,
      `T=1700000000, n=${n}, v1=${SIG}`,
      `t=1700000000, n=${n}, V1=${SIG}`,
      `t=1700000000; n=${n}; v1=${SIG}`,
      `t=01700000000, n=${n}, v1=${SIG}`,
      `t=-1700000000, n=${n}, v1=${SIG}`,
      `t=+1700000000, n=${n}, v1=${SIG}`,
      `t=1700000000.0, n=${n}, v1=${SIG}`,
      `t=1e9, n=${n}, v1=${SIG}`,
      `t=, n=${n}, v1=${SIG}`,
      `t=170000000000, n=${n}, v1=${SIG}`,
      `t=١٧٠٠٠٠٠٠٠٠, n=${n}, v1=${SIG}`,
      `t=1700000000, n=${n.slice(1)}, v1=${SIG}`,
      `t=1700000000, n=${'a'.repeat(65)}, v1=${SIG}`,
      `t=1700000000, n=${n.slice(1)}., v1=${SIG}`,
      `t=1700000000, n=${n.slice(1)}+, v1=${SIG}`,
      `t=1700000000, n="${n}", v1=${SIG}`,
      `t=1700000000, n=, v1=${SIG}`,
      `t=1700000000, n=${n}, v1=${SIG.slice(1)}`,
      `t=1700000000, n=${n}, v1=${SIG}A`,
      `t=1700000000, n=${n}, v1=${SIG}=`,
      `t=1700000000, n=${n}, v1=${SIG.slice(0, 42)}+`,
      `t=1700000000, n=${n}, v1=/${SIG.slice(1)}`,
      `t=1700000000, n=${n}, v1=${nonCanonical}`,
      `t=1700000000, n=${n}, v1=${Buffer.from(SIG, 'base64url').toString('hex')}`,
      `${VALID}, ${VALID}`,
      [VALID, VALID],
      [VALID, undefined],
      [42],
      42,
      null,
      {},
      Buffer.from(VALID),
      `${VALID}${' '.repeat(10_000)}`,
    ];
    for (const [index, variant] of variants.entries()) {
      assert.throws(
        () => parseSignatureHeader(variant),
        (error) => isPortcullisError(error) && error.code === 'auth.signature_invalid',
        `variant ${index} was accepted`,
      );
    }
  });

  it('never echoes the header in the error', () => {
    const marker = 'MARKER_echo_me_back_0123456789';
    try {
      parseSignatureHeader(`t=1, n=${marker}, v1=${marker}<script>`);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(isPortcullisError(error));
      assert.ok(!error.message.includes('MARKER') && !(error.detail ?? '').includes('MARKER'));
    }
  });

  const header = fc.record({
    timestamp: fc.integer({ min: 0, max: 99_999_999_999 }),
    nonce: fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
    signature: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  });

  it('property: format then parse is the identity for every valid header', () => {
    fc.assert(
      fc.property(header, (members: SignatureHeader) => {
        assert.deepEqual(parseSignatureHeader(formatSignatureHeader(members)), { ...members });
      }),
      { numRuns: 500 },
    );
  });

  it('property: any string either is refused as auth.signature_invalid or is its own canonical spelling', () => {
    const near = header.chain((members) =>
      fc
        .tuple(fc.nat(), fc.constantFrom('', ' ', ',', '=', '\t', '0', 'A', '-', '+', '/', 'é', '\n', 't=1, ', 'v1='), fc.constantFrom('insert', 'delete', 'replace'))
        .map(([at, char, kind]) => {
          const text = formatSignatureHeader(members);
          const i = at % (text.length + 1);
          return kind === 'insert' ? text.slice(0, i) + char + text.slice(i) : text.slice(0, i) + (kind === 'replace' ? char : '') + text.slice(i + 1);
        }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), near), (text) => {
        let parsed: SignatureHeader;
        try {
          parsed = parseSignatureHeader(text);
        } catch (error) {
          assert.ok(isPortcullisError(error) && error.code === 'auth.signature_invalid', `unexpected throw: ${String(error)}`);
          return;
        }
        assert.equal(formatSignatureHeader(parsed), text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatSignatureHeader', () => {
  it('refuses members outside the format as config.invalid, so it never writes what parse would refuse', () => {
    const good = { timestamp: 1_700_000_000, nonce: NONCE, signature: SIG };
    for (const bad of [{ timestamp: -1 }, { timestamp: 1.5 }, { nonce: 'short' }, { nonce: `${NONCE}, v1=x` }, { signature: `${SIG}A` }, { signature: 'x' }]) {
      refusedAs('config.invalid', () => formatSignatureHeader({ ...good, ...bad }));
    }
    assert.equal(formatSignatureHeader(good), VALID);
  });
});
