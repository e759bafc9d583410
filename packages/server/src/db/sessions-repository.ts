import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Sessions and their rotating refresh tokens (A4). A session is one refresh-token family: each
 * refresh spends the presented token with a compare-and-swap (`used_at` set only where it is
 * still null) and issues the next one in the same session, so of any number of concurrent
 * refreshes of one token exactly one wins, on SQLite and PostgreSQL alike. Presenting a spent
 * token again is reuse: the caller revokes the whole session. Only keyed hashes of tokens are stored.
 */

export interface SessionRow {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly lastUsedAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
}

export interface NewSession {
  readonly userId: string;
  readonly tokenHash: string;
  readonly now: Date;
  readonly refreshExpiresAt: Date;
  readonly sessionExpiresAt: Date;
  readonly userAgent: string | undefined;
  readonly ipAddress: string | undefined;
}

/** What spending a refresh token found. */
export type SpendResult =
  | { readonly outcome: 'spent'; readonly sessionId: string; readonly userId: string; readonly sessionExpiresAt: string }
  | { readonly outcome: 'reused'; readonly sessionId: string; readonly userId: string }
  | { readonly outcome: 'invalid' };

/** Longest user agent kept: it is shown back in the session list, not trusted. */
const MAX_USER_AGENT = 256;

/**
 * Creates a session with its first refresh token and returns the session id.
 *
 * @example
 * const sessionId = await createSession(db, { userId, tokenHash, now, refreshExpiresAt, sessionExpiresAt, userAgent, ipAddress });
 */
export async function createSession(db: Kysely<Database>, session: NewSession): Promise<string> {
  const id = randomUUID();
  const now = session.now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        id,
        user_id: session.userId,
        created_at: now,
        last_used_at: now,
        expires_at: session.sessionExpiresAt.toISOString(),
        revoked_at: null,
        revoked_reason: null,
        user_agent: session.userAgent === undefined ? null : session.userAgent.slice(0, MAX_USER_AGENT),
        ip_address: session.ipAddress ?? null,
      })
      .execute();
    await trx
      .insertInto('refresh_tokens')
      .values({ token_hash: session.tokenHash, session_id: id, created_at: now, expires_at: session.refreshExpiresAt.toISOString(), used_at: null })
      .execute();
  });
  return id;
}

/**
 * Spends a refresh token: exactly one caller per token gets `spent`; a token already spent gives
 * `reused` (revoke its session); an unknown, expired or revoked one gives `invalid`.
 *
 * @example
 * const result = await spendRefreshToken(db, hashOpaqueToken(token, secret), new Date());
 */
export async function spendRefreshToken(db: Kysely<Database>, tokenHash: string, now: Date): Promise<SpendResult> {
  const at = now.toISOString();
  const swapped = await db
    .updateTable('refresh_tokens')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  const row = await db
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .select(['sessions.id as sessionId', 'sessions.user_id as userId', 'sessions.revoked_at as revokedAt', 'sessions.expires_at as sessionExpiresAt', 'refresh_tokens.used_at as usedAt'])
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (row === undefined) return { outcome: 'invalid' };
  if (swapped.numUpdatedRows === 1n) {
    if (row.revokedAt !== null || row.sessionExpiresAt <= at) return { outcome: 'invalid' };
    return { outcome: 'spent', sessionId: row.sessionId, userId: row.userId, sessionExpiresAt: row.sessionExpiresAt };
  }
  // Not swapped: spent before (reuse), or expired unspent (merely invalid).
  if (row.usedAt !== null && row.revokedAt === null) return { outcome: 'reused', sessionId: row.sessionId, userId: row.userId };
  return { outcome: 'invalid' };
}

/** Adds the next refresh token of a session and marks the session used. */
export async function addRefreshToken(db: Kysely<Database>, sessionId: string, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('refresh_tokens').values({ token_hash: tokenHash, session_id: sessionId, created_at: at, expires_at: expiresAt.toISOString(), used_at: null }).execute();
    await trx.updateTable('sessions').set({ last_used_at: at }).where('id', '=', sessionId).execute();
  });
}

/** The session a refresh token belongs to, when it is live (not spent, not expired, session not revoked). */
export async function findLiveSessionByToken(db: Kysely<Database>, tokenHash: string, now: Date): Promise<{ sessionId: string; userId: string } | undefined> {
  const at = now.toISOString();
  const row = await db
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .select(['sessions.id as sessionId', 'sessions.user_id as userId'])
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .where('refresh_tokens.used_at', 'is', null)
    .where('refresh_tokens.expires_at', '>', at)
    .where('sessions.revoked_at', 'is', null)
    .executeTakeFirst();
  return row;
}

/**
 * Revokes sessions of a user and returns the ids it revoked (to denylist their access tokens):
 * one session, all of them, or all but one.
 *
 * @example
 * const revoked = await revokeSessions(db, userId, { except: currentSessionId }, 'password_changed', new Date());
 */
export async function revokeSessions(
  db: Kysely<Database>,
  userId: string,
  which: { readonly only: string } | { readonly except: string | undefined },
  reason: string,
  now: Date,
): Promise<string[]> {
  let query = db.updateTable('sessions').set({ revoked_at: now.toISOString(), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if ('only' in which) query = query.where('id', '=', which.only);
  else if (which.except !== undefined) query = query.where('id', '!=', which.except);
  const rows = await query.returning('id').execute();
  return rows.map((row) => row.id);
}

/** Live sessions of a user, newest first. */
export async function listLiveSessions(db: Kysely<Database>, userId: string, now: Date): Promise<SessionRow[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    userAgent: row.user_agent,
    ipAddress: row.ip_address,
  }));
}
