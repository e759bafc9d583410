/**
 * What the orchestrator asks of a measuring process and what that process answers: one JSON
 * request as its only argument, one `RESULT <json>` line on stdout. The keys themselves are too
 * many for a command line, so they travel in a fixture file the orchestrator writes once per run.
 */
import type { ScenarioId } from './scenarios.ts';

export const RESULT_MARKER = 'RESULT ';

/** What a verified key must come back as: the stored row's fields, mapped. */
export interface ExpectedKey {
  key: string;
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  expiresAt: number | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  quota: { daily?: number; monthly?: number } | null;
}

/** Keys that must be refused, each with the error code the verifier must throw. */
export interface Refusal {
  /** A malformed key never reaches storage; an unknown one does but is not cached; the rest are found, cached and refused. */
  kind: 'malformed' | 'unknown' | 'revoked' | 'expired' | 'rotated-out';
  label: string;
  key: string;
  code: 'auth.api_key_invalid' | 'auth.api_key_expired';
}

export interface PostgresTarget {
  url: string;
  /** Created for this run and dropped at its end. */
  schema: string;
}

export interface Fixture {
  /** The server secret keys are hashed under (32 random bytes). */
  secretHex: string;
  /** Every valid stored key, in an order unrelated to insertion; the first `hotKeyCount` are the warm set. */
  keys: string[];
  hotKeyCount: number;
  /** Hot keys with the fields a verification must return for them. */
  samples: ExpectedKey[];
  refusals: Refusal[];
  /** The old secret of a rotated key, still inside its grace period: accepted as that key. */
  graceSecret: { key: string; id: string };
  sqlitePath: string;
  postgres: PostgresTarget | null;
}

export interface MeasureRequest {
  /** `check` proves the scenario verifies and refuses as it should; `measure` times it, then checks it. */
  mode: 'check' | 'measure';
  scenario: ScenarioId;
  fixturePath: string;
  warmupMs: number;
  durationMs: number;
  /** Verifications in flight at once (cold PostgreSQL; 1 elsewhere). */
  concurrency: number;
  poolSize: number;
  /** The CPU to pin this run's PostgreSQL backends to (the one the measuring process is not on); null to leave them. */
  databaseCpu: number | null;
}

export interface LookupCounts {
  /** Storage lookups while the cache was filled (warm scenarios: one per hot key). */
  priming: number;
  warmup: number;
  timed: number;
  /** Made by the checks after the timed phase. */
  checks: number;
}

export interface DatabaseUsage {
  /** PostgreSQL backends serving the pool (their pids, from pg_backend_pid()). */
  backends: number;
  /** The CPU the backends were pinned to, or null with the reason in `pinning`. */
  pinnedTo: number | null;
  pinning: string;
  /** CPU seconds those backends used during the timed phase; null when /proc cannot see them. */
  backendCpuSeconds: number | null;
  /** CPUs the backends last ran on, read from /proc after the timed phase. */
  backendCpus: number[];
}

export interface MeasureResult {
  verifications: number;
  warmupVerifications: number;
  seconds: number;
  /** CPU seconds (user + system) of the measuring process during the timed phase. */
  cpuSeconds: number;
  lookups: LookupCounts;
  /** Entries in the verifier's cache at the end of the timed phase. */
  cachedKeys: number;
  /** Keys cycled through in the timed phase. */
  keysInRotation: number;
  concurrency: number;
  database: DatabaseUsage | null;
  /** SQLite only: the journal mode the measuring connection found (must be wal). */
  sqliteJournalMode: string | null;
  /** Checks passed after (or, in check mode, instead of) the measurement. */
  checksPassed: number;
  /** What a check or a count found wrong; a measurement counts only when this is empty. */
  problems: string[];
}
