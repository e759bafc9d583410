/**
 * The two tables the reference server keeps API keys in (packages/server migration 0003: keys,
 * and their secrets as keyed hashes only), the lookup by hash it runs, and the mapping from that
 * row to the verifier's `StoredApiKey`. Written here in plain SQL, the same text for SQLite and
 * PostgreSQL, so the bench measures the query and not a query builder. The `users` table and the
 * foreign key to it are left out: a lookup never reads them.
 */
import type { StoredApiKey } from 'portcullis/auth';

/** One `api_keys` row as stored: timestamps as ISO-8601 text, scopes as a JSON array. */
export interface KeyRecord {
  id: string;
  user_id: string;
  name: string;
  environment: 'live' | 'test';
  display_prefix: string;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  rate_limit: number | null;
  rate_window_seconds: number | null;
  quota_daily: number | null;
  quota_monthly: number | null;
  last_used_at: string | null;
}

/** One `api_key_secrets` row; `expires_at` is set once a rotation ends the secret's grace period. */
export interface SecretRecord {
  key_hash: string;
  key_id: string;
  created_at: string;
  expires_at: string | null;
}

/** What the lookup by hash returns: the key's columns and the matching secret's. */
export interface LookupRow extends KeyRecord {
  key_hash: string;
  secret_expires_at: string | null;
}

export const KEY_COLUMNS = [
  'id',
  'user_id',
  'name',
  'environment',
  'display_prefix',
  'scopes',
  'created_at',
  'expires_at',
  'revoked_at',
  'rate_limit',
  'rate_window_seconds',
  'quota_daily',
  'quota_monthly',
  'last_used_at',
] as const satisfies readonly (keyof KeyRecord)[];

export const SECRET_COLUMNS = ['key_hash', 'key_id', 'created_at', 'expires_at'] as const satisfies readonly (keyof SecretRecord)[];

/** `prefix` is empty for SQLite and `"schema".` for PostgreSQL. */
export function createTablesSql(prefix: string): string[] {
  return [
    `CREATE TABLE ${prefix}api_keys (
      id text PRIMARY KEY, user_id text NOT NULL, name text NOT NULL, environment text NOT NULL,
      display_prefix text NOT NULL, scopes text NOT NULL, created_at text NOT NULL, expires_at text,
      revoked_at text, rate_limit integer, rate_window_seconds integer, quota_daily integer,
      quota_monthly integer, last_used_at text)`,
    `CREATE INDEX api_keys_user_id ON ${prefix}api_keys (user_id)`,
    `CREATE TABLE ${prefix}api_key_secrets (
      key_hash text PRIMARY KEY, key_id text NOT NULL REFERENCES ${prefix}api_keys (id) ON DELETE CASCADE,
      created_at text NOT NULL, expires_at text)`,
    `CREATE INDEX api_key_secrets_key_id ON ${prefix}api_key_secrets (key_id)`,
  ];
}

/** The server's `findApiKeyByHash`: every key column plus the secret's hash and end, by hash. */
export function lookupByHashSql(prefix: string, placeholder: string): string {
  return (
    `SELECT ${KEY_COLUMNS.map((column) => `k.${column}`).join(', ')}, s.key_hash, s.expires_at AS secret_expires_at ` +
    `FROM ${prefix}api_key_secrets s INNER JOIN ${prefix}api_keys k ON k.id = s.key_id WHERE s.key_hash = ${placeholder}`
  );
}

const epochOrUndefined = (iso: string | null): number | undefined => (iso === null ? undefined : Date.parse(iso));

/** The row as the verifier sees it, mapped as the reference server maps it. */
export function storedApiKey(row: LookupRow): StoredApiKey {
  const quota =
    row.quota_daily === null && row.quota_monthly === null
      ? undefined
      : { ...(row.quota_daily === null ? {} : { daily: row.quota_daily }), ...(row.quota_monthly === null ? {} : { monthly: row.quota_monthly }) };
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    keyHash: row.key_hash,
    expiresAt: epochOrUndefined(row.expires_at),
    secretExpiresAt: epochOrUndefined(row.secret_expires_at),
    revokedAt: epochOrUndefined(row.revoked_at),
    rateLimit: row.rate_limit === null || row.rate_window_seconds === null ? undefined : { limit: row.rate_limit, windowSeconds: row.rate_window_seconds },
    quota,
  };
}
