import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkFiles, checkSource, runtimeSourceFiles, type SafetyFinding, type SafetyRule } from './static-safety.test-helpers.js';

// V2: no runtime file of the library or the reference server builds SQL from strings, runs a
// shell, or evaluates code. Every exception is listed here, with the file, the rule and why it is
// safe; an entry that no longer matches anything fails too, so the list cannot go stale.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ROOTS = ['packages/portcullis/src', 'packages/server/src'];

interface Exception {
  readonly file: string;
  readonly rule: SafetyRule;
  readonly reason: string;
}

const REVIEWED_EXCEPTIONS: readonly Exception[] = [
  {
    file: 'packages/server/src/db/migrations/0001-create-users.ts',
    rule: 'sql-raw',
    reason: 'DDL CHECK constraint listing the role enum: DDL cannot take bound parameters, and the values are compile-time constants (userRoles)',
  },
  {
    file: 'packages/server/src/db/migrations/0001-create-users.ts',
    rule: 'sql-identifier',
    reason: 'the same CHECK constraint names its column, passed as a string literal by the migration itself',
  },
  {
    file: 'packages/server/src/db/migrations/0004-organisations-posts.ts',
    rule: 'sql-raw',
    reason: 'DDL CHECK constraints listing status/visibility/org-role enums: compile-time constants, DDL cannot bind parameters',
  },
  {
    file: 'packages/server/src/db/migrations/0004-organisations-posts.ts',
    rule: 'sql-identifier',
    reason: 'the same CHECK constraints name their columns, passed as string literals by the migration itself',
  },
  {
    file: 'packages/server/src/db/migrations/0005-webhooks.ts',
    rule: 'sql-raw',
    reason: 'DDL CHECK constraints listing delivery statuses and attempt outcomes: compile-time constants, DDL cannot bind parameters',
  },
  {
    file: 'packages/server/src/db/migrations/0005-webhooks.ts',
    rule: 'sql-identifier',
    reason: 'the same CHECK constraints name their columns, passed as string literals by the migration itself',
  },
];

function isReviewed(finding: SafetyFinding): boolean {
  return REVIEWED_EXCEPTIONS.some((exception) => exception.file === finding.file && exception.rule === finding.rule);
}

const rulesOf = (text: string): SafetyRule[] => checkSource('snippet.ts', text).map((finding) => finding.rule);

describe('static safety of runtime code (V2)', () => {
  const files = ROOTS.flatMap((root) => runtimeSourceFiles(join(repoRoot, root)));
  const findings = checkFiles(repoRoot, files);

  it('reads a real number of runtime files from both packages', () => {
    assert.ok(files.length > 100, `only ${files.length} files`);
    assert.ok(files.some((file) => file.endsWith('db/lockouts-repository.ts')));
    assert.ok(!files.some((file) => /\.test\.ts$|test-support/.test(file)));
  });

  it('finds no raw SQL, string-built query, shell or eval outside the reviewed exceptions', () => {
    const unexpected = findings.filter((finding) => !isReviewed(finding));
    assert.deepEqual(unexpected.map((finding) => `${finding.file}:${finding.line} ${finding.rule}: ${finding.text}`), []);
  });

  it('has no stale exception: each one still matches a finding', () => {
    for (const exception of REVIEWED_EXCEPTIONS) {
      assert.ok(
        findings.some((finding) => finding.file === exception.file && finding.rule === exception.rule),
        `${exception.file} ${exception.rule} no longer matches: remove it`,
      );
    }
  });
});

describe('the static safety checker', () => {
  it('flags sql.raw and sql.lit, and identifiers from anything but a literal', () => {
    assert.deepEqual(rulesOf('const q = sql`select * from ${sql.raw(table)}`;'), ['sql-raw']);
    assert.deepEqual(rulesOf("sql.lit(name); sql.lit('x');"), ['sql-raw', 'sql-raw']);
    assert.deepEqual(rulesOf('sql`select ${sql.ref(column)} from users`;'), ['sql-identifier']);
    assert.deepEqual(rulesOf("sql`select ${sql.ref('users.email')} from ${sql.table('users')}`;"), []);
    assert.deepEqual(rulesOf('sql.id(request.body.name);'), ['sql-identifier']);
  });

  it('flags sql template interpolations that are not bound values', () => {
    assert.deepEqual(rulesOf('sql`select * from users where id = ${id} and org = ${caller.org.id}`;'), []);
    assert.deepEqual(rulesOf('sql<number>`case when a <= ${staleBefore} then 1 else a + 1 end`;'), []);
    assert.deepEqual(rulesOf('sql`select 1 ${sql`and x = ${x}`}`;'), []);
    assert.deepEqual(rulesOf('sql`select * from users order by ${`${column} desc`}`;'), ['sql-interpolation']);
    assert.deepEqual(rulesOf("sql`select * from users where ${'email = ' + email}`;"), ['sql-interpolation']);
    assert.deepEqual(rulesOf('sql`select * from ${tableFor(request)}`;'), ['sql-interpolation']);
    assert.deepEqual(rulesOf('sql`select * from users where id = ${ok ? a : b}`;'), ['sql-interpolation']);
  });

  it('flags queries built from strings, and leaves constant ones and plain values alone', () => {
    assert.deepEqual(rulesOf('await client.query(`select * from users where email = ${email}`);'), ['query-built-from-strings']);
    assert.deepEqual(rulesOf("db.prepare('select * from users where id = ' + id);"), ['query-built-from-strings']);
    assert.deepEqual(rulesOf('sqlite.exec(("drop table " + name));'), ['query-built-from-strings']);
    assert.deepEqual(rulesOf("pool.execute('update t set a = ' + (b + c));"), ['query-built-from-strings']);
    assert.deepEqual(rulesOf("client.query('select * from users where id = $1', [id]); db.prepare(`select 1`); /^a$/.exec(text); trx.execute(fn);"), []);
    assert.deepEqual(rulesOf('await query.execute(); total = count + 1;'), []);
  });

  it('flags shells, vm and code evaluation in every import form, but not look-alikes', () => {
    assert.deepEqual(rulesOf("import { exec } from 'node:child_process';"), ['child-process']);
    assert.deepEqual(rulesOf("import * as cp from 'child_process';"), ['child-process']);
    assert.deepEqual(rulesOf("const cp = require('child_process'); const m = await import('node:child_process');"), ['child-process', 'child-process']);
    assert.deepEqual(rulesOf("export { spawn } from 'child_process'; import vm from 'node:vm';"), ['child-process', 'child-process']);
    assert.deepEqual(rulesOf("eval(code); const f = new Function('a', body); Function('return this')();"), ['eval', 'eval', 'eval']);
    assert.deepEqual(rulesOf("redis.eval(script, { keys }); const text = 'eval(x) child_process'; // eval(y)\nconst evaluate = 1;"), []);
  });

  it('flags CompiledQuery.raw, sql.raw/lit taken out of sql, and dynamic identifiers from anything but a literal', () => {
    assert.deepEqual(rulesOf('await db.executeQuery(CompiledQuery.raw(text));'), ['query-not-literal', 'sql-raw']);
    assert.deepEqual(rulesOf("CompiledQuery.raw('select 1', []);"), ['sql-raw']);
    assert.deepEqual(rulesOf('const { raw } = sql; const { lit: literal } = sql; const r = sql.raw;'), ['sql-raw', 'sql-raw', 'sql-raw']);
    assert.deepEqual(rulesOf('const { join, val } = sql; const { raw } = other;'), []);
    assert.deepEqual(rulesOf("db.dynamic.ref(request.query.sort); this.db.dynamic.table(name); db.dynamic.ref('email');"), ['sql-identifier', 'sql-identifier']);
  });

  it('flags .query and .executeQuery given anything but a literal or an in-place compiled builder', () => {
    assert.deepEqual(rulesOf("const q = 'select * from users where id = ' + id; await client.query(q);"), ['query-not-literal']);
    assert.deepEqual(rulesOf('await pool.query(buildQuery(request)); await db.executeQuery(compiled);'), ['query-not-literal', 'query-not-literal']);
    assert.deepEqual(rulesOf("await db.executeQuery(db.selectFrom('users').selectAll().where('id', '=', id).compile()); await client.query('select 1', [a]);"), []);
    // Kysely's execute(db) and transaction().execute(fn) stay allowed: they take a non-literal by design.
    assert.deepEqual(rulesOf('await sql`select 1`.execute(db); await db.transaction().execute(async (trx) => work(trx));'), []);
  });

  it('flags vm usage and timers given a string to run', () => {
    assert.deepEqual(rulesOf('vm.runInNewContext(code, {}); new vm.Script(source);'), ['eval', 'eval']);
    assert.deepEqual(rulesOf("setTimeout('doIt()', 10); setInterval(`tick(${n})`, 5); setImmediate('a' + b);"), ['eval', 'eval', 'eval']);
    assert.deepEqual(rulesOf('setTimeout(() => done(), 10); setInterval(tick, 5); const vmName = vms.length;'), []);
  });

  it('flags runtime code importing test support', () => {
    assert.deepEqual(rulesOf("import { request } from '../test-support/http-client.js';"), ['test-code-in-runtime']);
    assert.deepEqual(rulesOf("import { AuthClient } from './identity.test-helpers.js';"), ['test-code-in-runtime']);
    assert.deepEqual(rulesOf("import { openDatabase } from '../db/open-database.js';"), []);
  });

  it('reports the line of each finding', () => {
    const [finding] = checkSource('x.ts', "const a = 1;\n\nclient.query('x' + a);\n");
    assert.equal(finding?.line, 3);
    assert.equal(finding?.file, 'x.ts');
  });
});
