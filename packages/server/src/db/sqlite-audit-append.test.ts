import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { SecurityEventBus, buildSecurityEvent, deriveAuditChainKey, verifyAuditChain, type SecurityEvent } from 'portcullis/audit';
import { isPortcullisError } from 'portcullis/errors';
import { auditSecrets, runAuditVerify } from '../e2e/audit-trail.test-helpers.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type AppDatabase } from './open-database.js';
import { readAuditHead, readAuditRecords, sqlAuditTrail } from './audit-repository.js';

// E3, the SQLite fast path of the trail (sqlite-audit-append.ts): its rows are the Kysely path's
// rows (one chain across both, `audit verify` passes), a failure inside its transaction leaves
// nothing behind and the write queue's retry lands the batch, and it never runs inside (or gets
// rolled back with) a Kysely transaction holding the one connection.

const secrets = auditSecrets();
const key = deriveAuditChainKey(secrets['APP_SECRET'] as string);

const events = (count: number, tag: string): SecurityEvent[] =>
  Array.from({ length: count }, (_, index) =>
    buildSecurityEvent('auth.login_failed', { clientAddress: '192.0.2.7', requestId: `${tag}-${index}`, principal: index % 2 === 0 ? null : `user:${tag}` }, { reason: 'wrong_password', attempt: index, note: 'é "quoted" \\ \u0001' }),
  );

describe('audit trail on SQLite: the synchronous append (E3)', () => {
  let dir: string;
  let database: AppDatabase;
  let sqlite: NonNullable<AppDatabase['sqlite']>;
  const count = async (): Promise<number> => Number((await sql<{ n: number }>`select count(*) as n from audit_events`.execute(database.db)).rows[0]?.n);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-sqlite-audit-'));
    database = await openDatabase({ kind: 'sqlite', file: join(dir, 'audit.sqlite') });
    await migrateToLatest(database.db);
    assert.ok(database.sqlite !== undefined, 'openDatabase exposes the SQLite connection');
    sqlite = database.sqlite;
  });
  after(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('continues the Kysely path\'s chain and back, and `audit verify` (the CLI) passes on the result', async () => {
    const viaKysely = sqlAuditTrail(database.db, key);
    const fast = sqlAuditTrail(database.db, key, { sqlite });
    await viaKysely.append(events(3, 'kysely'));
    await fast.append(events(250, 'fast'));
    await fast.append([]);
    await viaKysely.append(events(2, 'kysely-again'));
    await fast.append(events(1, 'fast-again'));

    const head = await readAuditHead(database.db);
    assert.equal(head?.seq, 256);
    const verdict = await verifyAuditChain(key, readAuditRecords(database.db, 100, head?.seq), head);
    assert.deepEqual(verdict.ok && verdict.rows, 256, JSON.stringify(verdict));
    const rows = await database.db.selectFrom('audit_events').selectAll().where('seq', 'in', [4, 5]).orderBy('seq').execute();
    assert.deepEqual(
      rows.map((row) => [row.request_id, row.principal, row.client_address, row.outcome, row.fields]),
      [
        ['fast-0', null, '192.0.2.7', 'failure', '{"attempt":0,"note":"é \\"quoted\\" \\\\ \\u0001","reason":"wrong_password"}'],
        ['fast-1', 'user:fast', '192.0.2.7', 'failure', '{"attempt":1,"note":"é \\"quoted\\" \\\\ \\u0001","reason":"wrong_password"}'],
      ],
    );

    const cli = await runAuditVerify(`sqlite:${join(dir, 'audit.sqlite')}`, secrets);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, 'audit trail intact: 256 rows, chain head at row 256\n');
  });

  it('a failure inside the transaction leaves nothing behind, and the write queue\'s retry lands the whole batch', async () => {
    const before = await readAuditHead(database.db);
    const rowsBefore = await count();
    // The 3rd row of the next batch fails to insert: two rows are already written when it does.
    const failAt = (before?.seq ?? 0) + 3;
    await sql`create trigger audit_fail_once before insert on audit_events when new.seq = ${sql.lit(failAt)} begin select raise(abort, 'injected failure'); end`.execute(database.db);
    const failures: unknown[] = [];
    const bus = new SecurityEventBus({
      log: { info: () => undefined, warn: () => undefined, error: (line) => void (line['event'] === 'audit.write_failed' && failures.push(line['err'])) },
      trail: { store: sqlAuditTrail(database.db, key, { sqlite }), queue: { flushIntervalMs: 5, retryDelayMs: 20, maxRetryDelayMs: 40 } },
      alerts: false,
    });
    try {
      for (const event of events(5, 'retried')) void bus.publish(event);
      const deadline = Date.now() + 5_000;
      while (failures.length === 0 && Date.now() < deadline) await sleep(5);
      assert.ok(failures.length >= 1, 'the write failed and was reported');
      assert.match(String((failures[0] as Error | undefined)?.message), /injected failure/);
      assert.equal(await count(), rowsBefore, 'no row of the failed batch is left');
      assert.deepEqual(await readAuditHead(database.db), before, 'the head did not move');
      assert.equal(sqlite.inTransaction, false, 'the transaction was rolled back, not left open');

      await sql`drop trigger audit_fail_once`.execute(database.db);
      await bus.flush();
    } finally {
      await bus.close(1_000);
    }
    assert.equal(await count(), rowsBefore + 5);
    const head = await readAuditHead(database.db);
    assert.equal(head?.seq, (before?.seq ?? 0) + 5);
    const verdict = await verifyAuditChain(key, readAuditRecords(database.db, 1000, head?.seq), head);
    assert.ok(verdict.ok, JSON.stringify(verdict));
  });

  it('waits for a Kysely transaction holding the connection, and is not rolled back with it', async () => {
    const fast = sqlAuditTrail(database.db, key, { sqlite });
    const rowsBefore = await count();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const other = database.db.transaction().execute(async (trx) => {
      await trx.insertInto('audit_events').values({ seq: 1_000_000, at: 'x', event: 'x', request_id: null, principal: null, client_address: null, method: null, route: null, outcome: 'x', fields: '{}', prev_mac: 'x', mac: 'x' }).execute();
      await gate;
      throw new Error('the other transaction rolls back');
    });
    let appended = false;
    const appending = fast.append(events(4, 'waiting')).then(() => (appended = true));
    await sleep(50);
    assert.equal(appended, false, 'the append waits for the connection');
    release();
    await assert.rejects(other, /rolls back/);
    await appending;
    assert.equal(await count(), rowsBefore + 4, 'the trail rows survive the other transaction\'s rollback; its own row does not');
    const head = await readAuditHead(database.db);
    const verdict = await verifyAuditChain(key, readAuditRecords(database.db, 1000, head?.seq), head);
    assert.ok(verdict.ok, JSON.stringify(verdict));
  });

  it('a trail made before the migrations ran fails its first append and works once they have', async () => {
    const fresh = await openDatabase({ kind: 'sqlite', file: join(dir, 'fresh.sqlite') });
    try {
      const early = sqlAuditTrail(fresh.db, key, { sqlite: fresh.sqlite });
      await assert.rejects(early.append(events(1, 'early')), /no such table/);
      await migrateToLatest(fresh.db);
      await early.append(events(2, 'after-migrations'));
      const head = await readAuditHead(fresh.db);
      assert.equal(head?.seq, 2);
      const verdict = await verifyAuditChain(key, readAuditRecords(fresh.db, 1000, head?.seq), head);
      assert.ok(verdict.ok, JSON.stringify(verdict));
    } finally {
      await fresh.close();
    }
  });

  it('refuses to nest inside a transaction it did not open (nothing written; the queue would retry)', async () => {
    const fast = sqlAuditTrail(database.db, key, { sqlite });
    const rowsBefore = await count();
    sqlite.exec('BEGIN');
    try {
      await assert.rejects(fast.append(events(2, 'nested')), (error: unknown) => isPortcullisError(error) && error.code === 'storage.unavailable');
    } finally {
      sqlite.exec('ROLLBACK');
    }
    assert.equal(await count(), rowsBefore);
    await fast.append(events(2, 'not-nested'));
    assert.equal(await count(), rowsBefore + 2);
  });
});
