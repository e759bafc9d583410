import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { PortcullisError, isPortcullisError } from '../../errors/index.js';
import { MemoryNonceStore, type NonceStore } from './nonce-store.js';
import { signRequest } from './sign-request.js';
import { formatSignatureHeader, parseSignatureHeader } from './signature-format.js';
import { createSignedRequestVerifier, type SignedRequestInput } from './verify-signed-request.js';

const START = 1_700_000_000_000;
const SECRET = randomBytes(32);
const OTHER_SECRET = randomBytes(32);
const REQUEST = { method: 'POST', pathWithQuery: '/v1/orders?b=2&a=1', body: Buffer.from('{"amount":100}') };

/** A verifier over a memory store, both on one movable clock. */
function setup(toleranceSeconds?: number) {
  const clock = { now: START };
  const now = () => clock.now;
  const nonces = new MemoryNonceStore({ now });
  nonces.close();
  const verifier = createSignedRequestVerifier(toleranceSeconds === undefined ? { nonces, now } : { nonces, now, toleranceSeconds });
  /** A request signed now (or at `signedAt`), as the server would receive it. */
  const signed = (signedAt = clock.now, request: { method: string; pathWithQuery: string; body: Buffer | string | undefined } = REQUEST): SignedRequestInput => ({
    secret: SECRET,
    scope: 'key_1',
    ...request,
    header: signRequest({ secret: SECRET, ...request, body: request.body ?? '', now: () => signedAt })['portcullis-signature'],
  });
  return { clock, nonces, verifier, signed };
}

async function refusedAs(code: string, promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isPortcullisError(error), `not a PortcullisError: ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

function withHeader(input: SignedRequestInput, change: (members: ReturnType<typeof parseSignatureHeader>) => Partial<ReturnType<typeof parseSignatureHeader>>): SignedRequestInput {
  const members = parseSignatureHeader(input.header);
  return { ...input, header: formatSignatureHeader({ ...members, ...change(members) }) };
}

describe('signed request verifier', () => {
  it('accepts a request signed with signRequest, with the body as bytes, a string, or absent', async () => {
    const { verifier, signed } = setup();
    await verifier.verify(signed());
    await verifier.verify(signed(START, { ...REQUEST, body: '{"amount":100}' }));
    await verifier.verify(signed(START, { method: 'GET', pathWithQuery: '/v1/orders', body: undefined }));
    // A client that wrote the method in lower case signed the same string as the server checks.
    const lower = signed(START, { ...REQUEST, method: 'post' });
    await verifier.verify({ ...lower, method: 'POST' });
  });

  it('refuses a body changed by one byte', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    const body = Buffer.from(REQUEST.body);
    body[3] = body[3]! ^ 1;
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, body }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, body: undefined }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, body: Buffer.concat([REQUEST.body, Buffer.from('\n')]) }));
  });

  it('refuses a changed path, and a query parameter added, removed or reordered', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    for (const pathWithQuery of ['/v1/orders/?b=2&a=1', '/v1/Orders?b=2&a=1', '/v1/orders?b=2&a=1&c=3', '/v1/orders?b=2', '/v1/orders', '/v1/orders?a=1&b=2', '/v1/orders?b=2&a=1#', '/v1/orders?b=%32&a=1']) {
      await refusedAs('auth.signature_invalid', verifier.verify({ ...input, pathWithQuery }));
    }
    await verifier.verify(input);
  });

  it('refuses another method', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    for (const method of ['PUT', 'GET', 'POSTX']) await refusedAs('auth.signature_invalid', verifier.verify({ ...input, method }));
  });

  it('refuses a timestamp changed in the header, even by one second', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    await refusedAs('auth.signature_invalid', verifier.verify(withHeader(input, ({ timestamp }) => ({ timestamp: timestamp + 1 }))));
    await refusedAs('auth.signature_invalid', verifier.verify(withHeader(input, ({ timestamp }) => ({ timestamp: timestamp - 1 }))));
    await verifier.verify(input);
  });

  it('accepts a timestamp up to the tolerance away and refuses one further, either way, as expired', async () => {
    const { clock, verifier, signed } = setup(60);
    const old = signed(START);
    const future = signed(START + 61_000);
    const edge = signed(START + 60_000);
    clock.now = START + 60_001;
    await refusedAs('auth.signature_expired', verifier.verify(old));
    clock.now = START;
    await refusedAs('auth.signature_expired', verifier.verify(future));
    await verifier.verify(edge);
    clock.now = START + 60_000;
    await verifier.verify(old);
  });

  it('uses a default tolerance of 300 s', async () => {
    const { clock, verifier, signed } = setup();
    const input = signed();
    clock.now = START + 300_001;
    await refusedAs('auth.signature_expired', verifier.verify(input));
    clock.now = START + 300_000;
    await verifier.verify(input);
  });

  it('refuses a replayed nonce for as long as its timestamp is acceptable, after the first use succeeded', async () => {
    const { clock, verifier, signed } = setup(60);
    // First used at the earliest moment the server accepts its timestamp, replayed at the latest.
    const input = signed(START + 60_000);
    await verifier.verify(input);
    await refusedAs('auth.signature_replayed', verifier.verify(input));
    clock.now = START + 120_000;
    await refusedAs('auth.signature_replayed', verifier.verify(input));
    clock.now = START + 120_001;
    await refusedAs('auth.signature_expired', verifier.verify(input));
  });

  it('claims each nonce for twice the tolerance and a second, under the given scope', async () => {
    const claims: Array<[string, string, number]> = [];
    const nonces: NonceStore = {
      async claim(scope, nonce, ttlMs) {
        claims.push([scope, nonce, ttlMs]);
        return true;
      },
    };
    const verifier = createSignedRequestVerifier({ nonces, toleranceSeconds: 90, now: () => START });
    const header = signRequest({ secret: SECRET, ...REQUEST, now: () => START })['portcullis-signature'];
    await verifier.verify({ secret: SECRET, scope: 'key_9', ...REQUEST, header });
    assert.deepEqual(claims, [['key_9', parseSignatureHeader(header).nonce, 181_000]]);
  });

  it('keeps nonces per credential: the same nonce under another scope is independent', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    await verifier.verify(input);
    await verifier.verify({ ...input, scope: 'key_2' });
    await refusedAs('auth.signature_replayed', verifier.verify({ ...input, scope: 'key_2' }));
    await refusedAs('auth.signature_replayed', verifier.verify(input));
  });

  it('refuses a missing header, and an array of two', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, header: undefined }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, header: [] }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, header: [input.header as string, input.header as string] }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, header: `${String(input.header)}, ${String(input.header)}` }));
    await verifier.verify({ ...input, header: [input.header as string] });
  });

  it('refuses a request signed with the secret of another credential', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    await refusedAs('auth.signature_invalid', verifier.verify({ ...input, secret: OTHER_SECRET }));
  });

  it('does not consume the nonce of a forged, stale or malformed request', async () => {
    const { clock, nonces, verifier, signed } = setup();
    const genuine = signed();
    await refusedAs('auth.signature_invalid', verifier.verify(withHeader(genuine, () => ({ signature: randomBytes(32).toString('base64url') }))));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...genuine, secret: OTHER_SECRET }));
    await refusedAs('auth.signature_invalid', verifier.verify({ ...genuine, body: 'tampered' }));
    clock.now = START + 301_000;
    await refusedAs('auth.signature_expired', verifier.verify(genuine));
    clock.now = START;
    assert.equal(nonces.size, 0);
    await verifier.verify(genuine);
    assert.equal(nonces.size, 1);
  });

  it('refuses request-supplied values it cannot sign as a mismatch, not a server error', async () => {
    const { verifier, signed } = setup();
    const input = signed();
    for (const bad of [{ method: '' }, { method: 'PO ST' }, { pathWithQuery: '/v1/orders?b=2&a=1\n' }, { pathWithQuery: '' }, { body: 42 as unknown as string }]) {
      await refusedAs('auth.signature_invalid', verifier.verify({ ...input, ...bad }));
    }
  });

  it('answers 503 when the nonce store fails, and passes its coded errors through', async () => {
    const failing = (error: unknown): NonceStore => ({ claim: () => Promise.reject(error) });
    const input = { secret: SECRET, scope: 'key_1', ...REQUEST };
    const header = () => signRequest({ secret: SECRET, ...REQUEST, now: () => START })['portcullis-signature'];
    const down = createSignedRequestVerifier({ nonces: failing(new Error('ECONNREFUSED 10.0.0.7:6379')), now: () => START });
    await assert.rejects(down.verify({ ...input, header: header() }), (error) => {
      assert.ok(isPortcullisError(error) && error.code === 'service.unavailable' && error.status === 503);
      assert.ok(!String(error.detail).includes('10.0.0.7'), 'the detail does not leak the cause');
      assert.ok(error.cause instanceof Error, 'the cause is kept for the logs');
      return true;
    });
    const full = createSignedRequestVerifier({ nonces: failing(new PortcullisError('service.unavailable', { detail: 'full' })), now: () => START });
    await refusedAs('service.unavailable', full.verify({ ...input, header: header() }));
    const odd = createSignedRequestVerifier({ nonces: { claim: async () => 'yes' as unknown as boolean }, now: () => START });
    await refusedAs('auth.signature_replayed', odd.verify({ ...input, header: header() }));
  });

  it('refuses bad configuration and a bad secret or scope from the caller as config.invalid', async () => {
    const nonces = new MemoryNonceStore();
    nonces.close();
    for (const toleranceSeconds of [0, 901, 1.5, Number.NaN]) {
      assert.throws(() => createSignedRequestVerifier({ nonces, toleranceSeconds }), (error) => isPortcullisError(error) && error.code === 'config.invalid');
    }
    assert.throws(() => createSignedRequestVerifier({ nonces: undefined as unknown as NonceStore }), (error) => isPortcullisError(error) && error.code === 'config.invalid');
    const { verifier, signed } = setup();
    await refusedAs('config.invalid', verifier.verify({ ...signed(), secret: 'short' }));
    await refusedAs('config.invalid', verifier.verify({ ...signed(), scope: '' }));
  });

  it('property: no single-character change to a valid header verifies, and none uses up its nonce', async () => {
    const { verifier, signed, nonces } = setup();
    const input = signed();
    const header = String(input.header);
    const change = fc
      .tuple(fc.nat({ max: header.length }), fc.constantFrom(...'ABCabc019-_ ,=+/'), fc.constantFrom('insert', 'delete', 'replace'))
      .map(([i, char, kind]) => (kind === 'insert' ? header.slice(0, i) + char + header.slice(i) : header.slice(0, i) + (kind === 'replace' ? char : '') + header.slice(i + 1)))
      .filter((changed) => changed !== header);
    await fc.assert(
      fc.asyncProperty(change, async (changed) => {
        await assert.rejects(verifier.verify({ ...input, header: changed }), (error) => isPortcullisError(error) && ['auth.signature_invalid', 'auth.signature_expired'].includes(error.code));
      }),
      { numRuns: 500 },
    );
    assert.equal(nonces.size, 0);
    await verifier.verify(input);
  });
});
