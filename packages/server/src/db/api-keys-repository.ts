import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database } from './schema.js';

/**
 * API keys and their secrets (A8). Only keyed hashes of secrets are stored. Rotation is one
 * transaction: the key's live secrets get an end (the grace period, never later than an end they
 * already have) and the new secret is added, so a lookup by hash sees either the old state or
 * the new one. Usage arrives in batches (ApiKeyUsageRecorder) and is added with an upsert.
 */

export interface ApiKeyRow {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly environment: 'live' | 'test';
  readonly displayPrefix: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | null;
  readonly quota: { readonly daily?: number; readonly monthly?: number } | null;
  readonly lastUsedAt: string | null;
}

/** A key as found by one of its secrets, with that secret's own end (set once rotated out). */
export interface ApiKeyByHash extends ApiKeyRow {
  readonly keyHash: string;
  readonly secretExpiresAt: string | null;
}

export interface NewApiKeyRow {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly environment: 'live' | 'test';
  readonly displayPrefix: string;
  readonly scopes: readonly string[];
  readonly keyHash: string;
  readonly now: Date;
  readonly expiresAt: Date | undefined;
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | undefined;
  readonly quota: { readonly daily?: number | undefined; readonly monthly?: number | undefined } | undefined;
}

export interface UsageBatch {
  readonly counts: readonly { readonly keyId: string; readonly route: string; readonly day: string; readonly count: number }[];
  readonly lastUsed: readonly { readonly keyId: string; readonly at: number }[];
}

type KeyRecord = Pick<
  ApiKeysTable,
  | 'id'
  | 'user_id'
  | 'name'
  | 'environment'
  | 'display_prefix'
  | 'scopes'
  | 'created_at'
  | 'expires_at'
  | 'revoked_at'
  | 'rate_limit'
  | 'rate_window_seconds'
  | 'quota_daily'
  | 'quota_monthly'
  | 'last_used_at'
>;

const KEY_COLUMNS = [
  'api_keys.id',
  'api_keys.user_id',
  'api_keys.name',
  'api_keys.environment',
  'api_keys.display_prefix',
  'api_keys.scopes',
  'api_keys.created_at',
  'api_keys.expires_at',
  'api_keys.revoked_at',
  'api_keys.rate_limit',
  'api_keys.rate_window_seconds',
  'api_keys.quota_daily',
  'api_keys.quota_monthly',
  'api_keys.last_used_at',
] as const;

function toRow(record: KeyRecord): ApiKeyRow {
  const quota =
    record.quota_daily === null && record.quota_monthly === null
      ? null
      : { ...(record.quota_daily === null ? {} : { daily: record.quota_daily }), ...(record.quota_monthly === null ? {} : { monthly: record.quota_monthly }) };
  return {
    id: record.id,
    userId: record.user_id,
    name: record.name,
    environment: record.environment,
    displayPrefix: record.display_prefix,
    scopes: JSON.parse(record.scopes) as string[],
    createdAt: record.created_at,
    expiresAt: record.expires_at,
    revokedAt: record.revoked_at,
    rateLimit: record.rate_limit === null || record.rate_window_seconds === null ? null : { limit: record.rate_limit, windowSeconds: record.rate_window_seconds },
    quota,
    lastUsedAt: record.last_used_at,
  };
}

/** Stores a new key with its first secret. */
export async function insertApiKey(db: Kysely<Database>, key: NewApiKeyRow): Promise<void> {
  const now = key.now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_keys')
      .values({
        id: key.id,
        user_id: key.userId,
        name: key.name,
        environment: key.environment,
        display_prefix: key.displayPrefix,
        scopes: JSON.stringify(key.scopes),
        created_at: now,
        expires_at: key.expiresAt?.toISOString() ?? null,
        revoked_at: null,
        rate_limit: key.rateLimit?.limit ?? null,
        rate_window_seconds: key.rateLimit?.windowSeconds ?? null,
        quota_daily: key.quota?.daily ?? null,
        quota_monthly: key.quota?.monthly ?? null,
        last_used_at: null,
      })
      .execute();
    await trx.insertInto('api_key_secrets').values({ key_hash: key.keyHash, key_id: key.id, created_at: now, expires_at: null }).execute();
  });
}

/** The user's keys, oldest first (revoked ones included: the list is also an audit of what existed). */
export async function listApiKeys(db: Kysely<Database>, userId: string): Promise<ApiKeyRow[]> {
  const records = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  return records.map(toRow);
}

/** One of the user's keys; another user's key is not found, exactly like a missing one. */
export async function findApiKeyOfUser(db: Kysely<Database>, id: string, userId: string): Promise<ApiKeyRow | undefined> {
  const record = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return record === undefined ? undefined : toRow(record);
}

/** The key one of whose secrets hashes to `keyHash`. */
export async function findApiKeyByHash(db: Kysely<Database>, keyHash: string): Promise<ApiKeyByHash | undefined> {
  const record = await db
    .selectFrom('api_key_secrets')
    .innerJoin('api_keys', 'api_keys.id', 'api_key_secrets.key_id')
    .select([...KEY_COLUMNS, 'api_key_secrets.key_hash', 'api_key_secrets.expires_at as secret_expires_at'])
    .where('api_key_secrets.key_hash', '=', keyHash)
    .executeTakeFirst();
  if (record === undefined) return undefined;
  return { ...toRow(record), keyHash: record.key_hash, secretExpiresAt: record.secret_expires_at };
}

/** Revokes the user's key; false when there is no such key of theirs. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Kysely<Database>, id: string, userId: string, now: Date): Promise<boolean> {
  const key = await findApiKeyOfUser(db, id, userId);
  if (key === undefined) return false;
  await db.updateTable('api_keys').set({ revoked_at: now.toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  return true;
}

/**
 * Adds `keyHash` as the key's current secret and ends every live secret at `graceUntil` (an
 * earlier end they already have is kept). False when the key is not the user's or is revoked.
 */
export async function rotateApiKeySecret(db: Kysely<Database>, id: string, userId: string, keyHash: string, now: Date, graceUntil: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const key = await trx.selectFrom('api_keys').select(['id']).where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    if (key === undefined) return false;
    const end = graceUntil.toISOString();
    await trx
      .updateTable('api_key_secrets')
      .set({ expires_at: end })
      .where('key_id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', end)]))
      .execute();
    await trx.insertInto('api_key_secrets').values({ key_hash: keyHash, key_id: id, created_at: now.toISOString(), expires_at: null }).execute();
    return true;
  });
}

/** Adds a batch of usage counts and moves each key's last-used time forward (never back). */
export async function recordApiKeyUsage(db: Kysely<Database>, batch: UsageBatch): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const { keyId, route, day, count } of batch.counts) {
      await trx
        .insertInto('api_key_usage')
        .values({ key_id: keyId, route, day, count })
        .onConflict((conflict) => conflict.columns(['key_id', 'route', 'day']).doUpdateSet((eb) => ({ count: eb('api_key_usage.count', '+', eb.ref('excluded.count')) })))
        .execute();
    }
    for (const { keyId, at } of batch.lastUsed) {
      const iso = new Date(at).toISOString();
      await trx
        .updateTable('api_keys')
        .set({ last_used_at: iso })
        .where('id', '=', keyId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', iso)]))
        .execute();
    }
  });
}

/** Usage of one key per route and day, newest day first. */
export async function apiKeyUsage(db: Kysely<Database>, keyId: string): Promise<{ route: string; day: string; count: number }[]> {
  const rows = await db.selectFrom('api_key_usage').select(['route', 'day', 'count']).where('key_id', '=', keyId).orderBy('day', 'desc').orderBy('route').execute();
  return rows.map((row) => ({ route: row.route, day: row.day, count: Number(row.count) }));
}
