import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashApiKey, newApiKey, scopesWithin, type ApiKeyEnvironment, type ApiKeyLookup, type StoredApiKey } from 'portcullis/auth';
import { PortcullisError } from 'portcullis/errors';
import type { ApiKeySettings } from '../../config/server-config.js';
import {
  apiKeyUsage,
  findApiKeyByHash,
  findApiKeyOfUser,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKeySecret,
  type ApiKeyByHash,
  type ApiKeyRow,
} from '../../db/api-keys-repository.js';
import type { Database, UserRole } from '../../db/schema.js';
import { ROLE_PERMISSIONS } from '../permissions.js';

/**
 * API keys of the reference server (A8, A9): creation with scopes checked against the owner's
 * role, listing (never a secret), revocation and rotation with a capped grace period, usage.
 *
 * Each key secret comes with a signing secret for signed requests, shown once beside it. It is
 * derived, not stored: HMAC-SHA256 under APP_SECRET of a fixed label and the key's hash, so the
 * server can recompute it for the secret that authenticated a request, a database dump alone
 * cannot, and rotating the key rotates it too.
 */

export interface ApiKeyInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: string | undefined;
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number } | undefined;
  readonly quota?: { readonly daily?: number | undefined; readonly monthly?: number | undefined } | undefined;
}

/** A key as the API shows it: never its secret or hash. */
export interface PublicApiKey {
  readonly id: string;
  readonly name: string;
  readonly displayPrefix: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | null;
  readonly quota: { readonly daily?: number; readonly monthly?: number } | null;
}

/** What creation and rotation answer, once: the key and its signing secret. */
export interface IssuedApiKey extends PublicApiKey {
  readonly key: string;
  readonly signingSecret: string;
}

const SIGNING_LABEL = 'portcullis api-key signing v1\n';
/** Live (unrevoked) keys one user may hold. */
export const MAX_LIVE_KEYS_PER_USER = 100;

export function publicApiKey(row: ApiKeyRow): PublicApiKey {
  return {
    id: row.id,
    name: row.name,
    displayPrefix: row.displayPrefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
    rateLimit: row.rateLimit,
    quota: row.quota,
  };
}

function epochOrUndefined(iso: string | null): number | undefined {
  return iso === null ? undefined : Date.parse(iso);
}

export function storedApiKey(row: ApiKeyByHash): StoredApiKey {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    scopes: row.scopes,
    keyHash: row.keyHash,
    expiresAt: epochOrUndefined(row.expiresAt),
    secretExpiresAt: epochOrUndefined(row.secretExpiresAt),
    revokedAt: epochOrUndefined(row.revokedAt),
    rateLimit: row.rateLimit ?? undefined,
    quota: row.quota ?? undefined,
  };
}

export class ApiKeyService {
  readonly #db: Kysely<Database>;
  readonly #hashSecret: string;
  readonly #environment: ApiKeyEnvironment;
  readonly #settings: ApiKeySettings;
  readonly #now: () => number;

  constructor(options: { db: Kysely<Database>; hashSecret: string; environment: ApiKeyEnvironment; settings: ApiKeySettings; now?: () => number }) {
    this.#db = options.db;
    this.#hashSecret = options.hashSecret;
    this.#environment = options.environment;
    this.#settings = options.settings;
    this.#now = options.now ?? Date.now;
  }

  /** The storage side of the verifier: a key by the hash of one of its secrets. */
  get lookup(): ApiKeyLookup {
    return { findByHash: async (keyHash) => {
      const row = await findApiKeyByHash(this.#db, keyHash);
      return row === undefined ? undefined : storedApiKey(row);
    } };
  }

  /** The signing secret that belongs to the key secret hashing to `keyHash`. */
  signingSecretFor(keyHash: string): string {
    return createHmac('sha256', this.#hashSecret).update(SIGNING_LABEL + keyHash).digest('base64url');
  }

  async create(owner: { readonly id: string; readonly role: UserRole }, input: ApiKeyInput): Promise<IssuedApiKey> {
    const beyond = scopesWithin(input.scopes, ROLE_PERMISSIONS[owner.role]);
    if (beyond !== undefined) throw new PortcullisError('auth.forbidden', { detail: `Your role does not have the permission ${beyond}, so a key cannot have it either.` });
    const live = (await listApiKeys(this.#db, owner.id)).filter((key) => key.revokedAt === null).length;
    if (live >= MAX_LIVE_KEYS_PER_USER) throw new PortcullisError('request.validation_failed', { detail: `A user may hold at most ${MAX_LIVE_KEYS_PER_USER} live API keys; revoke one first.` });
    const now = new Date(this.#now());
    const expiresAt = input.expiresAt === undefined ? undefined : new Date(input.expiresAt);
    if (expiresAt !== undefined && expiresAt.getTime() <= now.getTime()) {
      throw new PortcullisError('request.validation_failed', { detail: 'expiresAt must be in the future.' });
    }
    const { key, displayPrefix } = newApiKey(this.#environment);
    const keyHash = hashApiKey(this.#hashSecret, key);
    const id = `key_${randomBytes(12).toString('base64url')}`;
    await insertApiKey(this.#db, {
      id,
      userId: owner.id,
      name: input.name,
      environment: this.#environment,
      displayPrefix,
      scopes: [...new Set(input.scopes)],
      keyHash,
      now,
      expiresAt,
      rateLimit: input.rateLimit,
      quota: input.quota,
    });
    const row = (await findApiKeyOfUser(this.#db, id, owner.id)) as ApiKeyRow;
    return { ...publicApiKey(row), key, signingSecret: this.signingSecretFor(keyHash) };
  }

  async list(userId: string): Promise<PublicApiKey[]> {
    return (await listApiKeys(this.#db, userId)).map(publicApiKey);
  }

  async get(userId: string, id: string): Promise<PublicApiKey> {
    const row = await findApiKeyOfUser(this.#db, id, userId);
    if (row === undefined) throw new PortcullisError('api_key.not_found');
    return publicApiKey(row);
  }

  async revoke(userId: string, id: string): Promise<void> {
    if (!(await revokeApiKey(this.#db, id, userId, new Date(this.#now())))) throw new PortcullisError('api_key.not_found');
  }

  /** A new secret for the key; the old one works for `graceSeconds` more (capped), then fails. */
  async rotate(userId: string, id: string, graceSeconds: number): Promise<IssuedApiKey & { readonly previousSecretExpiresAt: string }> {
    if (graceSeconds > this.#settings.maxGraceSeconds) {
      throw new PortcullisError('request.validation_failed', { detail: `graceSeconds may be at most ${this.#settings.maxGraceSeconds}.` });
    }
    const existing = await findApiKeyOfUser(this.#db, id, userId);
    if (existing === undefined || existing.revokedAt !== null) throw new PortcullisError('api_key.not_found');
    const { key } = newApiKey(existing.environment);
    const keyHash = hashApiKey(this.#hashSecret, key);
    const now = new Date(this.#now());
    const graceUntil = new Date(now.getTime() + graceSeconds * 1000);
    if (!(await rotateApiKeySecret(this.#db, id, userId, keyHash, now, graceUntil))) throw new PortcullisError('api_key.not_found');
    const row = (await findApiKeyOfUser(this.#db, id, userId)) as ApiKeyRow;
    // The display prefix stays the first secret's: it names the key, not the current secret.
    return { ...publicApiKey(row), key, signingSecret: this.signingSecretFor(keyHash), previousSecretExpiresAt: graceUntil.toISOString() };
  }

  async usage(userId: string, id: string): Promise<{ keyId: string; usage: { route: string; day: string; count: number }[] }> {
    await this.get(userId, id);
    return { keyId: id, usage: await apiKeyUsage(this.#db, id) };
  }
}
