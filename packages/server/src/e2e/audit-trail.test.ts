import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { auditSecrets, fieldsOf, runAuditVerify, trailRows } from './audit-trail.test-helpers.js';
import { AuthClient, newEmail, newPassword, ROOMY_LIMITS } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// E3/E4 over real HTTP on SQLite and PostgreSQL: concurrent events each land in the trail exactly
// once, the chain verifies, `audit verify` (the CLI, as its own process) names the first row of
// each kind of tampering, two instances sharing PostgreSQL append one linear chain, and the
// failed-login alert fires once at its threshold.

describeEachDatabase('audit trail (E3)', (target) => {
  const secrets = auditSecrets();
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  before(async () => {
    ({ server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...secrets, AUDIT_CHECKPOINT_MS: '1000' }));
  });
  after(() => stopSuiteServer(server, database));

  it('50 concurrent failed logins are exactly 50 trail rows, and one alert at the 20th', async () => {
    const failures = 50;
    const responses = await Promise.all(Array.from({ length: failures }, () => client.login(newEmail('nobody'), newPassword())));
    assert.ok(responses.every((res) => res.status === 401), responses.map((res) => res.status).join());
    const rows = await trailRows(server, database, 'auth.login_failed');
    assert.equal(rows.length, failures);
    assert.ok(rows.every((row) => row.client_address === '127.0.0.1' && row.outcome === 'failure' && row.route === '/v1/auth/login' && row.method === 'POST'));
    assert.equal(new Set(rows.map((row) => row.request_id)).size, failures, 'one row per request');
    assert.ok(rows.every((row) => fieldsOf(row)['reason'] === 'unknown_account'));
    const alerts = await trailRows(server, database, 'alert.raised');
    assert.equal(alerts.length, 1, 'one alert for the incident, not one per failure beyond 20');
    assert.deepEqual(
      { rule: fieldsOf(alerts[0])['rule'], key: fieldsOf(alerts[0])['key'], count: fieldsOf(alerts[0])['count'] },
      { rule: 'login_failures_by_address', key: '127.0.0.1', count: 20 },
    );
    assert.equal(server.logLines().filter((line) => line['event'] === 'alert.raised').length, 1, 'one alert.raised log line');
    const all = await trailRows(server, database);
    assert.deepEqual(all.map((row) => Number(row.seq)), all.map((_, index) => index + 1), 'one gapless sequence');
  });

  it('audit verify passes on the intact trail and names the first edited, deleted, reordered or inserted row', async () => {
    const rows = await trailRows(server, database);
    assert.ok(rows.length >= 6);
    const last = Number(rows.at(-1)?.seq);
    const intact = await runAuditVerify(target.databaseUrl, secrets);
    assert.equal(intact.code, 0, intact.stderr);
    assert.equal(intact.stdout, `audit trail intact: ${last} rows, chain head at row ${last}\n`);

    const expectBroken = async (what: string, pattern: RegExp) => {
      const run = await runAuditVerify(target.databaseUrl, secrets);
      assert.equal(run.code, 1, `${what}: exit ${run.code} ${run.stdout}`);
      assert.match(run.stderr, pattern, what);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'one line, no stack');
    };
    const db = database.db;

    await sql`update audit_events set client_address = ${'203.0.113.66'} where seq = ${3}`.execute(db);
    await expectBroken('an edited field', /^error: audit trail broken at row 3 \(modified\)/);
    await sql`update audit_events set client_address = ${rows[2]?.client_address ?? null} where seq = ${3}`.execute(db);

    await sql`delete from audit_events where seq = ${4}`.execute(db);
    await expectBroken('a deleted row', /^error: audit trail broken at row 4 \(missing\): row 4 is missing/);
    await db.insertInto('audit_events').values({ ...rows[3]!, seq: 4 }).execute();

    await sql`update audit_events set seq = ${-2} where seq = ${2}`.execute(db);
    await sql`update audit_events set seq = ${2} where seq = ${5}`.execute(db);
    await sql`update audit_events set seq = ${5} where seq = ${-2}`.execute(db);
    await expectBroken('two reordered rows', /^error: audit trail broken at row 2 \(out_of_order\)/);
    await sql`update audit_events set seq = ${-2} where seq = ${2}`.execute(db);
    await sql`update audit_events set seq = ${2} where seq = ${5}`.execute(db);
    await sql`update audit_events set seq = ${5} where seq = ${-2}`.execute(db);

    const forged = { ...rows.at(-1)!, seq: last + 1, event: 'admin.user_changed', prev_mac: rows.at(-1)!.mac, mac: randomBytes(32).toString('hex') };
    await db.insertInto('audit_events').values(forged).execute();
    await expectBroken('a forged row', new RegExp(`^error: audit trail broken at row ${last + 1} \\(inserted\\)`));
    await sql`update audit_chain_head set seq = ${last + 1}, mac = ${forged.mac} where id = 1`.execute(db);
    await expectBroken('a forged row with the head moved to it', new RegExp(`^error: audit trail broken at row ${last + 1} \\(modified\\)`));
    await sql`delete from audit_events where seq = ${last + 1}`.execute(db);
    await sql`update audit_chain_head set seq = ${last}, mac = ${rows.at(-1)!.mac} where id = 1`.execute(db);

    const restored = await runAuditVerify(target.databaseUrl, secrets);
    assert.equal(restored.code, 0, `the untampered trail verifies again: ${restored.stderr}`);
    const wrongKey = await runAuditVerify(target.databaseUrl, { ...secrets, APP_SECRET: randomBytes(48).toString('base64url') });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /row 1 \(modified\)/, 'without the server secret nothing verifies');
  });

  it('a tail cut off with the head rewound passes verify alone, and fails against an audit.checkpoint (--expect-head)', async () => {
    const rows = await trailRows(server, database);
    const last = rows.at(-1)!;
    const checkpoints = () => server.logLines().filter((line) => line['event'] === 'audit.checkpoint');
    const deadline = Date.now() + 5000;
    while (!checkpoints().some((line) => line['seq'] === Number(last.seq)) && Date.now() < deadline) await sleep(50);
    const checkpoint = checkpoints().at(-1);
    assert.deepEqual([checkpoint?.['seq'], checkpoint?.['mac'], checkpoint?.['level']], [Number(last.seq), last.mac, 30], 'the head is logged, outside the database');
    const anchor = `${String(checkpoint?.['seq'])}:${String(checkpoint?.['mac'])}`;
    const anchored = await runAuditVerify(target.databaseUrl, secrets, ['--expect-head', anchor]);
    assert.equal(anchored.code, 0, anchored.stderr);

    const db = database.db;
    const keep = rows.at(-3)!;
    await sql`delete from audit_events where seq > ${Number(keep.seq)}`.execute(db);
    await sql`update audit_chain_head set seq = ${Number(keep.seq)}, mac = ${keep.mac} where id = 1`.execute(db);
    try {
      const alone = await runAuditVerify(target.databaseUrl, secrets);
      assert.equal(alone.code, 0, 'without an anchor the cut is invisible (what the README says)');
      const caught = await runAuditVerify(target.databaseUrl, secrets, ['--expect-head', anchor]);
      assert.equal(caught.code, 1, caught.stdout);
      assert.match(caught.stderr, new RegExp(`^error: audit trail broken at row ${Number(keep.seq) + 1} \\(truncated\\)`));
      const json = await runAuditVerify(target.databaseUrl, secrets, ['--json', '--expect-head', anchor]);
      assert.equal(json.code, 1);
      assert.equal((JSON.parse(json.stdout) as { problem: string }).problem, 'truncated');
      const malformed = await runAuditVerify(target.databaseUrl, secrets, ['--expect-head', 'latest']);
      assert.equal(malformed.code, 2);
    } finally {
      await db.insertInto('audit_events').values(rows.slice(-2).map((row) => ({ ...row, seq: Number(row.seq) }))).execute();
      await sql`update audit_chain_head set seq = ${Number(last.seq)}, mac = ${last.mac} where id = 1`.execute(db);
    }
    const restored = await runAuditVerify(target.databaseUrl, secrets, ['--expect-head', anchor]);
    assert.equal(restored.code, 0, restored.stderr);
  });

  if (target.label === 'postgres') {
    it('two instances sharing PostgreSQL append one linear chain', async () => {
      const second = await startTestServer({ ...ROOMY_LIMITS, ...secrets, DATABASE_URL: target.databaseUrl });
      try {
        const before = (await trailRows(server, database)).length;
        const other = new AuthClient(second.url);
        const perInstance = 40;
        await Promise.all([
          ...Array.from({ length: perInstance }, () => client.login(newEmail('a'), newPassword())),
          ...Array.from({ length: perInstance }, () => other.login(newEmail('b'), newPassword())),
        ]);
        await second.app.flushSecurityEvents();
        const rows = await trailRows(server, database);
        const failed = rows.slice(before).filter((row) => row.event === 'auth.login_failed');
        assert.equal(failed.length, 2 * perInstance);
        assert.deepEqual(rows.map((row) => Number(row.seq)), rows.map((_, index) => index + 1));
        const verified = await runAuditVerify(target.databaseUrl, secrets);
        assert.equal(verified.code, 0, verified.stderr);
      } finally {
        await second.close();
      }
    });
  }
});
