import { createHmac, createPrivateKey, createPublicKey, createSecretKey, KeyObject, sign as signBytes, type JsonWebKey } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';
import { base64urlLength, configInvalid, hmacCheck, isCanonicalSegment, publicKeyCheck, type SignatureCheck } from './compact-jws.js';

/**
 * The key ring behind our access tokens (A3): one current key that signs, and older keys that
 * only verify until their `retireAt` (rotation without logging anyone out: a key that stopped
 * signing keeps verifying until the last token it signed has expired). Every key is pinned to
 * exactly one algorithm when the ring is built, so a token can never choose how it is checked,
 * and it is turned into a node:crypto KeyObject once, so verifying never parses key material.
 * Secrets and private keys live in a module-private WeakMap: the ring object itself holds
 * nothing that logging or JSON.stringify could leak, and only asymmetric public keys are ever
 * exported (as a JWKS).
 */

export type AccessTokenAlgorithm = 'HS256' | 'EdDSA' | 'ES256';

const ALGORITHMS: readonly AccessTokenAlgorithm[] = ['HS256', 'EdDSA', 'ES256'];

/** HS256 secrets have at least 256 bits (RFC 7518 section 3.2; MISSION A3). */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * Key material: a PEM string, a KeyObject or a JWK for EdDSA/ES256 (private to sign, public to
 * verify only); for HS256 the secret as bytes, a string (its UTF-8 bytes), a secret KeyObject or
 * an `oct` JWK.
 */
export type AccessTokenKeyMaterial = string | Uint8Array | KeyObject | JsonWebKey;

export interface AccessTokenKeyInput {
  /** Key id written into every token's header: 1-64 of `A-Z a-z 0-9 . _ -`, not starting with a dot. */
  readonly kid: string;
  readonly algorithm: AccessTokenAlgorithm;
  readonly key: AccessTokenKeyMaterial;
}

export interface PreviousAccessTokenKeyInput extends AccessTokenKeyInput {
  /**
   * From this moment (epoch seconds, or a Date) tokens under this key are refused. Set it to at
   * least the time the key stopped signing plus the access-token lifetime and the clock tolerance.
   */
  readonly retireAt: number | Date;
}

export interface AccessTokenKeysOptions {
  /** The key that signs new tokens (and verifies them). */
  readonly current: AccessTokenKeyInput;
  /** Keys that signed before it: verify-only, each until its `retireAt`. */
  readonly previous?: readonly PreviousAccessTokenKeyInput[];
}

/** One public key as published in a JWKS: public members only, plus kid, alg and use. */
export interface PublicJwk {
  readonly kty: 'OKP' | 'EC';
  readonly crv: string;
  readonly x: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly use: 'sig';
}

export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

/** A built key ring. Holds no key material of its own (see the module header). */
export interface AccessTokenKeys {
  /** The kid new tokens are signed under. */
  readonly currentKid: string;
  /** Every kid in the ring, current first. */
  readonly kids: readonly string[];
  /**
   * The JWKS to publish (e.g. at `/.well-known/jwks.json`): the asymmetric keys that are not
   * retired at `nowMs` (default now). HS256 keys are never included; a ring of HS256 keys
   * publishes `{ keys: [] }`.
   */
  publicJwks(nowMs?: number): PublicJwks;
}

/** What the verifier needs of one key. */
export interface VerificationKey {
  readonly kid: string;
  readonly algorithm: AccessTokenAlgorithm;
  /** Epoch seconds from which the key verifies nothing; undefined for the current key. */
  readonly retireAt: number | undefined;
  /** Exact length of the base64url signature segment under this algorithm. */
  readonly signatureChars: number;
  readonly check: SignatureCheck;
  /** The base64url header our signer writes under this key, so the verifier can skip parsing it. */
  readonly headerSegment: string;
}

/** What the signer needs of the current key. */
export interface SigningKey {
  readonly kid: string;
  readonly algorithm: AccessTokenAlgorithm;
  readonly headerSegment: string;
  /** Base64url signature over the signing input. */
  readonly sign: (signingInput: string) => string;
}

interface RingInternals {
  readonly signing: SigningKey;
  readonly verification: ReadonlyMap<string, VerificationKey>;
}

const internals = new WeakMap<AccessTokenKeys, RingInternals>();

/** The signing and verification keys of a ring built by createAccessTokenKeys; internal to the tokens folder. */
export function ringInternals(keys: AccessTokenKeys): RingInternals {
  const found = typeof keys === 'object' && keys !== null ? internals.get(keys) : undefined;
  if (found === undefined) throw configInvalid('access tokens: keys must come from createAccessTokenKeys()');
  return found;
}

/** A key id is a plain short token: never a path, a URL or anything a query could trip on. */
export const KEY_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Epoch seconds above this are almost certainly milliseconds (the year 5138). */
const LATEST_PLAUSIBLE_SECONDS = 1e11;

function retireSeconds(kid: string, value: number | Date): number {
  const seconds = value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw configInvalid(`access token key ${kid}: retireAt must be a Date or epoch seconds`);
  }
  if (seconds > LATEST_PLAUSIBLE_SECONDS) throw configInvalid(`access token key ${kid}: retireAt looks like milliseconds; give epoch seconds or a Date`);
  return seconds;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const PEM_PRIVATE = /-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----/;

function isJwk(value: unknown): value is JsonWebKey {
  return typeof value === 'object' && value !== null && !(value instanceof KeyObject) && !(value instanceof Uint8Array);
}

function hs256Secret(kid: string, material: AccessTokenKeyMaterial): KeyObject {
  let bytes: Buffer;
  if (material instanceof KeyObject) {
    if (material.type !== 'secret') throw configInvalid(`access token key ${kid}: HS256 needs a secret key, not a ${material.type} key`);
    bytes = material.export();
  } else if (typeof material === 'string') {
    // A PEM here is the classic algorithm-confusion set-up: an RSA/EC key's text used as an HMAC secret.
    if (PEM.test(material)) throw configInvalid(`access token key ${kid}: HS256 needs a random secret, not a PEM key`);
    bytes = Buffer.from(material, 'utf8');
  } else if (material instanceof Uint8Array) {
    bytes = Buffer.from(material);
  } else if (isJwk(material) && material.kty === 'oct' && typeof material.k === 'string' && isCanonicalSegment(material.k, 0, material.k.length) && /^[A-Za-z0-9_-]+$/.test(material.k)) {
    checkJwkLabels(kid, 'HS256', material);
    bytes = Buffer.from(material.k, 'base64url');
  } else {
    throw configInvalid(`access token key ${kid}: HS256 needs a secret (bytes, string, secret KeyObject or oct JWK)`);
  }
  if (bytes.length < MIN_HS256_SECRET_BYTES) {
    throw configInvalid(`access token key ${kid}: an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (256 bits)`);
  }
  const secret = createSecretKey(bytes);
  bytes.fill(0);
  return secret;
}

/** A JWK's own alg, use and kid must not contradict the configuration. */
function checkJwkLabels(kid: string, algorithm: AccessTokenAlgorithm, jwk: JsonWebKey): void {
  if (jwk.alg !== undefined && jwk.alg !== algorithm) throw configInvalid(`access token key ${kid}: the JWK says alg ${String(jwk.alg)}, the ring says ${algorithm}`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw configInvalid(`access token key ${kid}: the JWK is not a signing key (use ${String(jwk.use)})`);
  if (typeof jwk.kid === 'string' && jwk.kid !== kid) throw configInvalid(`access token key ${kid}: the JWK's own kid differs`);
}

interface AsymmetricPair {
  readonly privateKey: KeyObject | undefined;
  readonly publicKey: KeyObject;
}

function readAsymmetricKey(kid: string, algorithm: 'EdDSA' | 'ES256', material: AccessTokenKeyMaterial): KeyObject {
  if (material instanceof KeyObject) {
    if (material.type === 'secret') throw configInvalid(`access token key ${kid}: ${algorithm} needs an asymmetric key, not a secret`);
    return material;
  }
  if (typeof material === 'string') {
    if (!PEM.test(material)) throw configInvalid(`access token key ${kid}: ${algorithm} key text must be PEM`);
    return PEM_PRIVATE.test(material) ? createPrivateKey(material) : createPublicKey(material);
  }
  if (isJwk(material)) {
    checkJwkLabels(kid, algorithm, material);
    const kty = algorithm === 'EdDSA' ? 'OKP' : 'EC';
    if (material.kty !== kty) throw configInvalid(`access token key ${kid}: a ${algorithm} JWK must have kty ${kty}`);
    return material.d !== undefined ? createPrivateKey({ key: material, format: 'jwk' }) : createPublicKey({ key: material, format: 'jwk' });
  }
  throw configInvalid(`access token key ${kid}: ${algorithm} needs a PEM string, a KeyObject or a JWK`);
}

function asymmetricPair(kid: string, algorithm: 'EdDSA' | 'ES256', material: AccessTokenKeyMaterial): AsymmetricPair {
  let key: KeyObject;
  try {
    key = readAsymmetricKey(kid, algorithm, material);
  } catch (error) {
    if (error instanceof PortcullisError) throw error;
    throw configInvalid(`access token key ${kid}: the ${algorithm} key could not be read`, error);
  }
  const privateKey = key.type === 'private' ? key : undefined;
  const publicKey = privateKey === undefined ? key : createPublicKey(privateKey);
  const type = publicKey.asymmetricKeyType;
  const fits = algorithm === 'EdDSA' ? type === 'ed25519' : type === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!fits) throw configInvalid(`access token key ${kid}: ${algorithm} needs ${algorithm === 'EdDSA' ? 'an Ed25519' : 'a P-256'} key, got ${type ?? 'another type'}`);
  return { privateKey, publicKey };
}

function headerSegmentFor(kid: string, algorithm: AccessTokenAlgorithm): string {
  return Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT', kid }), 'utf8').toString('base64url');
}

interface BuiltKey {
  readonly verification: VerificationKey;
  readonly signer: ((signingInput: string) => string) | undefined;
  readonly publicJwk: PublicJwk | undefined;
}

function publicJwkOf(kid: string, algorithm: 'EdDSA' | 'ES256', publicKey: KeyObject): PublicJwk {
  const exported = publicKey.export({ format: 'jwk' });
  // Only the public members are copied, so nothing private can ride along whatever export returns.
  return Object.freeze(
    algorithm === 'EdDSA'
      ? { kty: 'OKP' as const, crv: String(exported.crv), x: String(exported.x), kid, alg: algorithm, use: 'sig' as const }
      : { kty: 'EC' as const, crv: String(exported.crv), x: String(exported.x), y: String(exported.y), kid, alg: algorithm, use: 'sig' as const },
  );
}

function buildKey(input: AccessTokenKeyInput, retireAt: number | undefined): BuiltKey {
  const kid = input.kid;
  if (typeof kid !== 'string' || !KEY_ID.test(kid)) throw configInvalid('access token key: kid must be 1-64 of A-Z a-z 0-9 . _ - and not start with a dot');
  const algorithm = input.algorithm;
  if (!ALGORITHMS.includes(algorithm)) throw configInvalid(`access token key ${kid}: algorithm must be one of ${ALGORITHMS.join(', ')}`);
  const headerSegment = headerSegmentFor(kid, algorithm);

  if (algorithm === 'HS256') {
    const secret = hs256Secret(kid, input.key);
    return {
      verification: { kid, algorithm, retireAt, signatureChars: base64urlLength(32), check: hmacCheck(secret), headerSegment },
      signer: (signingInput) => createHmac('sha256', secret).update(signingInput, 'latin1').digest('base64url'),
      publicJwk: undefined,
    };
  }
  const { privateKey, publicKey } = asymmetricPair(kid, algorithm, input.key);
  const signingKey = algorithm === 'ES256' ? { key: privateKey!, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const digest = algorithm === 'ES256' ? 'sha256' : null;
  return {
    verification: { kid, algorithm, retireAt, signatureChars: base64urlLength(64), check: publicKeyCheck(algorithm, publicKey), headerSegment },
    signer: privateKey === undefined ? undefined : (signingInput) => signBytes(digest, Buffer.from(signingInput, 'latin1'), signingKey!).toString('base64url'),
    publicJwk: publicJwkOf(kid, algorithm, publicKey),
  };
}

/**
 * Builds the access-token key ring: the current signing key and the previous keys that still
 * verify until their `retireAt`. Throws `config.invalid` for a short HS256 secret (< 32 bytes), a
 * PEM given as an HMAC secret, a key that does not fit its algorithm (EdDSA: Ed25519, ES256:
 * P-256), a current asymmetric key without its private half, a missing `retireAt`, or a repeated
 * kid. Previous keys keep only what verifying needs (the public half of an asymmetric key).
 *
 * @example
 * const keys = createAccessTokenKeys({
 *   current: { kid: '2026-11', algorithm: 'EdDSA', key: readFileSync('keys/2026-11.pem', 'utf8') },
 *   previous: [{ kid: '2026-10', algorithm: 'EdDSA', key: readFileSync('keys/2026-10.pub.pem', 'utf8'), retireAt: new Date('2026-11-02T00:20:00Z') }],
 * });
 * app.get('/.well-known/jwks.json', () => keys.publicJwks());
 */
export function createAccessTokenKeys(options: AccessTokenKeysOptions): AccessTokenKeys {
  if (typeof options !== 'object' || options === null || typeof options.current !== 'object' || options.current === null) {
    throw configInvalid('access tokens: a current key is required');
  }
  const current = buildKey(options.current, undefined);
  if (current.signer === undefined) throw configInvalid(`access token key ${options.current.kid}: the current key signs, so it needs the private key`);

  const built: BuiltKey[] = [current];
  for (const previous of options.previous ?? []) {
    if (previous.retireAt === undefined) throw configInvalid(`access token key ${String(previous.kid)}: a previous key needs retireAt (otherwise it would verify for ever)`);
    built.push(buildKey(previous, retireSeconds(String(previous.kid), previous.retireAt)));
  }
  const verification = new Map<string, VerificationKey>();
  for (const { verification: key } of built) {
    if (verification.has(key.kid)) throw configInvalid(`access tokens: kid ${key.kid} is used twice`);
    verification.set(key.kid, Object.freeze(key));
  }

  const signing: SigningKey = Object.freeze({
    kid: current.verification.kid,
    algorithm: current.verification.algorithm,
    headerSegment: current.verification.headerSegment,
    sign: current.signer,
  });
  const kids = Object.freeze(built.map(({ verification: key }) => key.kid));
  const published = built.flatMap(({ verification: key, publicJwk }) => (publicJwk === undefined ? [] : [{ retireAt: key.retireAt, jwk: publicJwk }]));
  const ring: AccessTokenKeys = Object.freeze({
    currentKid: signing.kid,
    kids,
    publicJwks(nowMs: number = Date.now()): PublicJwks {
      const nowSeconds = Math.floor(nowMs / 1000);
      return Object.freeze({ keys: Object.freeze(published.filter(({ retireAt }) => retireAt === undefined || nowSeconds < retireAt).map(({ jwk }) => jwk)) });
    },
  });
  internals.set(ring, { signing, verification });
  return ring;
}
