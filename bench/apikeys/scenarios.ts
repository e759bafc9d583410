/**
 * What the API key bench measures, as plain data shared by the orchestrator and the measuring
 * processes: each scenario names the call that is timed and the storage behind it. How each one
 * is run is in `measure.ts`.
 */

export const SCENARIO_IDS = ['warm-sync', 'warm-async', 'cold-sqlite', 'cold-postgres', 'hmac-lookup'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export type Storage = 'sqlite' | 'postgres' | 'none';

export interface Scenario {
  id: ScenarioId;
  /** Warm scenarios verify cached keys; cold ones go to storage on every verification. */
  cache: 'warm' | 'cold' | 'none';
  storage: Storage;
  /** References are not the verifier: they show what a cache keyed by the keyed hash pays at least. */
  isReference: boolean;
  /** The call that is timed, as a reader would look it up. */
  api: string;
}

/** The goal for the synchronous warm path, per core. */
export const WARM_TARGET_PER_SECOND = 500_000;

/**
 * Warm scenarios trust storage's answer for the longest time the verifier allows, so no entry
 * expires during a measurement and the lookup count proves every verification was a cache hit.
 */
export const WARM_CACHE_TTL_MS = 60_000;

/** better-sqlite3 is synchronous: more verifications in flight would only interleave promises. */
export const SQLITE_CONCURRENCY = 1;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'warm-sync',
    cache: 'warm',
    storage: 'sqlite',
    isReference: false,
    api: 'verifier.verifyCached(key) on hot keys that are all cached: synchronous, what the Fastify hook calls first (cache lookup, then the revocation and expiry checks every hit gets)',
  },
  {
    id: 'warm-async',
    cache: 'warm',
    storage: 'sqlite',
    isReference: false,
    api: 'await verifier.verify(key) on the same cached hot keys, one at a time: the same work plus a promise per key',
  },
  {
    id: 'cold-sqlite',
    cache: 'cold',
    storage: 'sqlite',
    isReference: false,
    api: 'await verifier.verify(key) with the cache off (cacheTtlMs: 0), one at a time: every verification runs a prepared better-sqlite3 statement (api_key_secrets joined to api_keys by key_hash) and maps the row to a StoredApiKey',
  },
  {
    id: 'cold-postgres',
    cache: 'cold',
    storage: 'postgres',
    isReference: false,
    api: 'await verifier.verify(key) with the cache off (cacheTtlMs: 0), a bounded number in flight: every verification runs the same join as a named (prepared) pg statement through a pg.Pool',
  },
  {
    id: 'hmac-lookup',
    cache: 'none',
    storage: 'none',
    isReference: true,
    api: "node:crypto createHmac('sha256', secret).update(key).digest('base64url') and a Map.get of the hash, on the same hot keys: no parsing, no checks; the least a cache keyed by the keyed hash (as the verifier's was before it was keyed by the key itself) pays per key",
  },
];

export function scenarioById(id: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.id === id);
  if (scenario === undefined) throw new Error(`unknown scenario ${id}`);
  return scenario;
}
