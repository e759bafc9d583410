/**
 * What the JWT bench compares, as plain data shared by the orchestrator and the measuring
 * processes: the two algorithms (scenarios) and the contenders, each described by the call that
 * is timed. How each verifier is built is in `verifiers.ts`.
 */

export const ALGORITHMS = ['HS256', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export type Library = 'portcullis' | 'jsonwebtoken' | 'jose' | 'fast-jwt' | 'node:crypto';

export interface Contender {
  /** Stable id, used on the command line and in the results. */
  id: string;
  library: Library;
  /**
   * Peers are what a team would use instead; the headline ratio is to the fastest of them.
   * Non-peers are references: a floor that skips work, or a cache that does not verify again.
   */
  isPeer: boolean;
  algorithms: readonly Algorithm[];
  /** False for the signature-only floor: it is not asked to refuse expired or wrong-audience tokens. */
  checksClaims: boolean;
  /** The call that is timed, as a reader would look it up. */
  api: string;
}

export const CONTENDERS: readonly Contender[] = [
  {
    id: 'portcullis',
    library: 'portcullis',
    isPeer: false,
    algorithms: ALGORITHMS,
    checksClaims: true,
    api: 'createAccessTokenVerifier({ keys, issuer, audience }).verify(token) (synchronous; kid and alg pinned, iss/aud/exp/iat/sub/role/jti checked)',
  },
  {
    id: 'jsonwebtoken',
    library: 'jsonwebtoken',
    isPeer: true,
    algorithms: ['HS256'],
    checksClaims: true,
    api: 'jwt.verify(token, createSecretKey(secret), { algorithms: [alg], issuer, audience }) (its fastest form: a KeyObject secret)',
  },
  {
    id: 'jsonwebtoken:buffer-secret',
    library: 'jsonwebtoken',
    isPeer: true,
    algorithms: ['HS256'],
    checksClaims: true,
    api: 'jwt.verify(token, secretBuffer, { algorithms: [alg], issuer, audience }) (the form its README shows: for a Buffer or string it first tries createPublicKey, which throws)',
  },
  {
    id: 'jose',
    library: 'jose',
    isPeer: true,
    algorithms: ALGORITHMS,
    checksClaims: true,
    api: 'await jwtVerify(token, keyObject, { algorithms: [alg], issuer, audience }) (a promise per token)',
  },
  {
    id: 'fast-jwt',
    library: 'fast-jwt',
    isPeer: true,
    algorithms: ALGORITHMS,
    checksClaims: true,
    api: 'createVerifier({ key, algorithms: [alg], allowedIss, allowedAud, cache: false })(token) (key: the secret Buffer, or the public key PEM)',
  },
  {
    id: 'fast-jwt:cache',
    library: 'fast-jwt',
    isPeer: false,
    algorithms: ALGORITHMS,
    checksClaims: true,
    api: 'the same with cache: true: after the first call it looks the token up in an LRU of verified tokens instead of verifying it (not like for like)',
  },
  {
    id: 'node-crypto-floor',
    library: 'node:crypto',
    isPeer: false,
    algorithms: ALGORITHMS,
    checksClaims: false,
    api: 'the signature alone: createHmac + timingSafeEqual, or crypto.verify with a KeyObject; no parsing, no claims (the floor every verifier pays)',
  },
];

export function contenderById(id: string): Contender {
  const found = CONTENDERS.find((contender) => contender.id === id);
  if (found === undefined) throw new RangeError(`unknown contender ${id}`);
  return found;
}

export const ISSUER = 'https://api.example.com';
export const AUDIENCE = 'https://api.example.com';
export const SUBJECT = 'user_1';
export const KID = 'bench-1';
