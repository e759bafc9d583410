/**
 * What the orchestrator asks of a measuring process and what that process answers: one JSON
 * request as its only argument, one `RESULT <json>` line on stdout.
 */
import type { Algorithm } from './contenders.ts';

export const RESULT_MARKER = 'RESULT ';

/** Keys and tokens of one run, made once by the orchestrator so every contender sees the same bytes. */
export interface Fixture {
  algorithm: Algorithm;
  /** HS256: the secret, hex. */
  secretHex: string | null;
  /** EdDSA: the key pair, PEM (PKCS #8 / SPKI). */
  privateKeyPem: string | null;
  publicKeyPem: string | null;
  /** The token every contender verifies, signed by Portcullis under `KID`. */
  token: string;
  /** Same kid, same claims, another key: must be refused. */
  foreignKeyToken: string;
  /** The right key, but expired a day ago: must be refused. */
  expiredToken: string;
  /** The right key, but for another audience: must be refused. */
  wrongAudienceToken: string;
}

export interface MeasureRequest {
  /** `check` proves the contender accepts the token and refuses every tampered one; `measure` checks, then times it. */
  mode: 'check' | 'measure';
  contender: string;
  fixture: Fixture;
  warmupMs: number;
  durationMs: number;
}

export interface MeasureResult {
  verifications: number;
  seconds: number;
  /** CPU seconds (user + system) of the measuring process during the timed phase. */
  cpuSeconds: number;
  /** What the check found wrong (empty when it passed); a measurement only runs when it is empty. */
  problems: string[];
}
