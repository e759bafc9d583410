/**
 * The keys of one run, made with the library's own `newApiKey` and `hashApiKey` under a fresh
 * secret: the valid keys every scenario verifies (with the mix of expiries, rate limits and quotas
 * a real table has), and the keys that must be refused (malformed, unknown, revoked, expired, a
 * rotated-out secret past its grace), plus a rotated-out secret still inside its grace.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { hashApiKey, newApiKey } from 'portcullis/auth';
import type { ExpectedKey, Fixture, Refusal } from './protocol.ts';
import type { KeyRecord, SecretRecord } from './records.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SCOPE_SETS: readonly string[][] = [['orders:read'], ['orders:read', 'orders:write'], ['orders:read', 'orders:write', 'profile:read']];
const SAMPLES = 3;

export interface Dataset {
  keys: KeyRecord[];
  secrets: SecretRecord[];
  fixture: Omit<Fixture, 'sqlitePath' | 'postgres'>;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

function shuffle<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

/** A copy of `key` with one body character changed, so its checksum no longer matches. */
function withTypo(key: string): string {
  const at = 12;
  const replacement = key[at] === 'a' ? 'b' : 'a';
  return key.slice(0, at) + replacement + key.slice(at + 1);
}

export function makeDataset(keyCount: number, hotKeyCount: number): Dataset {
  const secret = randomBytes(32);
  const now = Date.now();
  const keys: KeyRecord[] = [];
  const secrets: SecretRecord[] = [];

  const addKey = (index: number, overrides: Partial<KeyRecord>): { record: KeyRecord; key: string } => {
    const issued = newApiKey('live');
    const record: KeyRecord = {
      id: randomUUID(),
      user_id: `usr_${index % 2_000}`,
      name: `integration ${index}`,
      environment: 'live',
      display_prefix: issued.displayPrefix,
      scopes: JSON.stringify(SCOPE_SETS[index % SCOPE_SETS.length]),
      created_at: iso(now - 30 * DAY_MS),
      expires_at: index % 3 === 0 ? iso(now + 365 * DAY_MS) : null,
      revoked_at: null,
      rate_limit: index % 2 === 0 ? 600 : null,
      rate_window_seconds: index % 2 === 0 ? 60 : null,
      quota_daily: index % 4 === 0 ? 100_000 : null,
      quota_monthly: index % 4 === 0 ? 2_000_000 : null,
      last_used_at: null,
      ...overrides,
    };
    keys.push(record);
    secrets.push({ key_hash: hashApiKey(secret, issued.key), key_id: record.id, created_at: record.created_at, expires_at: null });
    return { record, key: issued.key };
  };

  const valid = Array.from({ length: keyCount }, (_, index) => addKey(index, {}));
  const revoked = addKey(keyCount, { revoked_at: iso(now - HOUR_MS) });
  const expired = addKey(keyCount + 1, { expires_at: iso(now - HOUR_MS) });
  // A key rotated twice: its first secret's grace ended an hour ago, its second's ends tomorrow.
  const rotated = addKey(keyCount + 2, {});
  const pastGrace = newApiKey('live').key;
  const inGrace = newApiKey('live').key;
  secrets.push(
    { key_hash: hashApiKey(secret, pastGrace), key_id: rotated.record.id, created_at: rotated.record.created_at, expires_at: iso(now - HOUR_MS) },
    { key_hash: hashApiKey(secret, inGrace), key_id: rotated.record.id, created_at: rotated.record.created_at, expires_at: iso(now + DAY_MS) },
  );

  // Verification order unrelated to insertion order, so neither store reads its pages in sequence.
  shuffle(valid);
  const samples: ExpectedKey[] = valid.slice(0, SAMPLES).map(({ record, key }) => ({
    key,
    id: record.id,
    userId: record.user_id,
    name: record.name,
    scopes: JSON.parse(record.scopes) as string[],
    expiresAt: record.expires_at === null ? null : Date.parse(record.expires_at),
    rateLimit: record.rate_limit === null || record.rate_window_seconds === null ? null : { limit: record.rate_limit, windowSeconds: record.rate_window_seconds },
    quota:
      record.quota_daily === null && record.quota_monthly === null
        ? null
        : { ...(record.quota_daily === null ? {} : { daily: record.quota_daily }), ...(record.quota_monthly === null ? {} : { monthly: record.quota_monthly }) },
  }));
  const refusals: Refusal[] = [
    { kind: 'malformed', label: 'malformed (one character changed, checksum fails)', key: withTypo(valid[0]!.key), code: 'auth.api_key_invalid' },
    { kind: 'unknown', label: 'well-formed but never issued', key: newApiKey('live').key, code: 'auth.api_key_invalid' },
    { kind: 'revoked', label: 'revoked an hour ago', key: revoked.key, code: 'auth.api_key_invalid' },
    { kind: 'expired', label: 'expired an hour ago', key: expired.key, code: 'auth.api_key_expired' },
    { kind: 'rotated-out', label: 'rotated-out secret whose grace ended an hour ago', key: pastGrace, code: 'auth.api_key_expired' },
  ];

  return {
    keys,
    secrets,
    fixture: {
      secretHex: secret.toString('hex'),
      keys: valid.map(({ key }) => key),
      hotKeyCount,
      samples,
      refusals,
      graceSecret: { key: inGrace, id: rotated.record.id },
    },
  };
}
