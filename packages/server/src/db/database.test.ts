import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { isPortcullisError } from 'portcullis/errors';
import { describeEachDatabase } from '../test-support/databases.js';
import { migrations } from './migrations/index.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type AppDatabase } from './open-database.js';
import { createUser, findUserByEmail } from './users-repository.js';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

function isCode(code: string) {
  return (error: unknown) => isPortcullisError(error) && error.code === code;
}

async function appliedMigrations(app: AppDatabase): Promise<string[]> {
  const rows = await app.db
    .withTables<{ kysely_migration: { name: string } }>()
    .selectFrom('kysely_migration')
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((row) => row.name);
}

/**
 * Runs migrateToLatest in `count` separate Node processes, as several servers or the CLI would.
 * Each opens the database, says so, and waits; all are released together so their migrations
 * overlap instead of being spread out by process start-up time.
 */
async function migrateInChildProcesses(databaseUrl: string, count: number): Promise<{ code: number | null; stderr: string }[]> {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = [
    `import { once } from 'node:events';`,
    `import { openDatabase } from ${JSON.stringify(pathToFileURL(join(here, 'open-database.ts')).href)};`,
    `import { migrateToLatest } from ${JSON.stringify(pathToFileURL(join(here, 'migrate.ts')).href)};`,
    `const url = process.env.TEST_DATABASE_URL;`,
    `const target = url.startsWith('sqlite:') ? { kind: 'sqlite', file: url.slice(7) } : { kind: 'postgres', url };`,
    `const app = await openDatabase(target);`,
    `process.stdout.write('ready\\n');`,
    `await once(process.stdin, 'data');`,
    `try { await migrateToLatest(app.db); } finally { await app.close(); }`,
    `process.exit(0);`,
  ].join('\n');
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', '--input-type=module', '--eval', script], {
      env: { ...process.env, TEST_DATABASE_URL: databaseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const finished = children.map(
    (child) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      }),
  );
  await Promise.all(children.map((child) => Promise.race([once(child.stdout, 'data'), once(child, 'close')])));
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(finished);
}

async function countUsers(app: AppDatabase): Promise<number> {
  const row = await app.db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describeEachDatabase('database', (t) => {
  let app: AppDatabase;

  before(async () => {
    app = await openDatabase(t.target);
  });
  after(() => app.close());

  // These first three run in order on the still-empty database.
  it('names the migration that failed, and recovers once the conflict is gone', async () => {
    await app.db.schema.createTable('users').addColumn('unrelated', 'text').execute();
    await assert.rejects(migrateToLatest(app.db), (error: unknown) => {
      assert.ok(isPortcullisError(error) && error.code === 'storage.migration_failed');
      assert.match(error.detail ?? '', /0001_create_users/);
      return true;
    });
    await app.db.schema.dropTable('users').execute();
  });

  it('applies each migration once when three processes migrate at the same time', async () => {
    const results = await migrateInChildProcesses(t.databaseUrl, 3);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await appliedMigrations(app), Object.keys(migrations).sort());
  });

  it('treats a second migration run as a no-op that keeps the data', async () => {
    const id = await createUser(app.db, { email: 'keep@example.com', passwordHash: HASH, role: 'user' });
    await migrateToLatest(app.db);
    assert.deepEqual(await appliedMigrations(app), Object.keys(migrations).sort());
    assert.equal((await findUserByEmail(app.db, 'keep@example.com'))?.id, id);
  });

  it('round-trips a user with a normalised email', async () => {
    const id = await createUser(app.db, { email: '  Alice.Smith@Example.COM ', passwordHash: HASH, role: 'admin' });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const user = await findUserByEmail(app.db, 'ALICE.smith@example.com  ');
    assert.ok(user);
    assert.equal(user.id, id);
    assert.equal(user.email, 'alice.smith@example.com');
    assert.equal(user.passwordHash, HASH);
    assert.equal(user.role, 'admin');
    assert.equal(user.status, 'active');
    assert.match(user.createdAt, ISO_UTC);
    assert.equal(user.updatedAt, user.createdAt);
    assert.ok(Math.abs(Date.parse(user.createdAt) - Date.now()) < 60_000);
    assert.equal(await findUserByEmail(app.db, 'nobody@example.com'), undefined);
  });

  it('refuses a duplicate email, whatever its case and spacing, with user.email_taken', async () => {
    await createUser(app.db, { email: 'dup@example.com', passwordHash: HASH, role: 'user' });
    const before = await countUsers(app);
    await assert.rejects(createUser(app.db, { email: ' DUP@Example.com', passwordHash: HASH, role: 'moderator' }), isCode('user.email_taken'));
    assert.equal(await countUsers(app), before);
    assert.equal((await findUserByEmail(app.db, 'dup@example.com'))?.role, 'user');
  });

  it('refuses a role or status outside the allowed set at the database', async () => {
    const row = { email: 'bad-role@example.com', passwordHash: HASH };
    await assert.rejects(createUser(app.db, { ...row, role: 'superuser' as never }));
    await assert.rejects(createUser(app.db, { ...row, role: 'user', status: 'root' as never }));
    assert.equal(await findUserByEmail(app.db, row.email), undefined);
  });

  it('stores and reads back injection-shaped emails literally', async () => {
    const hostile = [
      "x' OR 1=1 --@example.com",
      "x'; DROP TABLE users; --@example.com",
      'x"); DELETE FROM users; --@example.com',
      "x\\' OR ''='@example.com",
      '%@example.com',
      '_@example.com',
      "x' UNION SELECT id, email, password_hash, role, status, created_at, updated_at FROM users --@example.com",
    ];
    const before = await countUsers(app);
    for (const email of hostile) {
      const id = await createUser(app.db, { email, passwordHash: HASH, role: 'user' });
      const found = await findUserByEmail(app.db, email);
      assert.equal(found?.id, id, email);
      assert.equal(found?.email, email.toLowerCase(), email);
    }
    assert.equal(await countUsers(app), before + hostile.length);
    assert.equal(await findUserByEmail(app.db, "' OR '1'='1"), undefined);
    assert.equal(await findUserByEmail(app.db, '%'), undefined);
    assert.equal(await findUserByEmail(app.db, "anything' OR 1=1 --"), undefined);
  });

  it('pings, then closes idempotently and refuses to ping after', async () => {
    const own = await openDatabase(t.target);
    await own.ping();
    assert.equal(own.kind, t.label);
    await own.close();
    await own.close();
    await assert.rejects(own.ping(), isCode('storage.unavailable'));
    await assert.rejects(own.db.selectFrom('users').selectAll().execute());
  });

  if (t.label === 'postgres') {
    // A reset socket under a checked-out connection: without a listener on the client itself, pg's
    // 'error' event would be an uncaught exception and take the whole process down.
    it('fails only the query when its connection is reset mid-query, and reconnects', async () => {
      const { connect, createServer } = await import('node:net');
      const upstream = new URL(t.databaseUrl);
      const accepted: import('node:net').Socket[] = [];
      const proxy = createServer((client) => {
        accepted.push(client);
        const server = connect(Number(upstream.port || 5432), upstream.hostname);
        client.pipe(server).pipe(client);
        client.on('error', () => server.destroy());
        server.on('error', () => client.destroy());
        client.on('close', () => server.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const proxied = new URL(t.databaseUrl);
      proxied.hostname = '127.0.0.1';
      proxied.port = String((proxy.address() as { port: number }).port);
      const background: unknown[] = [];
      const own = await openDatabase({ kind: 'postgres', url: proxied.toString() }, { onBackgroundError: (error) => background.push(error) });
      try {
        const slow = sql`select pg_sleep(2)`.execute(own.db);
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const socket of accepted) socket.resetAndDestroy();
        await assert.rejects(slow);
        assert.ok(background.length > 0, 'the dead connection was reported, not thrown');
        await own.ping();
      } finally {
        await own.close();
        proxy.close();
      }
    });
  }
});

describe('openDatabase failures', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-open-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates the SQLite parent directory and turns on WAL, foreign keys and a busy timeout', async () => {
    const app = await openDatabase({ kind: 'sqlite', file: join(dir, 'nested', 'deeper', 'db.sqlite') });
    try {
      const pragma = async (name: string) => {
        const { rows } = await sql<Record<string, unknown>>`pragma ${sql.raw(name)}`.execute(app.db);
        return Object.values(rows[0] ?? {})[0];
      };
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.ok(Number(await pragma('busy_timeout')) >= 1000);
    } finally {
      await app.close();
    }
  });

  it('refuses a file that is not a SQLite database with storage.unavailable', async () => {
    const file = join(dir, 'not-a-db.sqlite');
    await writeFile(file, 'this is not a database, it is a text file with enough bytes to have a header'.repeat(20));
    await assert.rejects(openDatabase({ kind: 'sqlite', file }), isCode('storage.unavailable'));
  });

  it('refuses an unreachable PostgreSQL with storage.unavailable, quickly, without the URL', async () => {
    const started = Date.now();
    await assert.rejects(
      openDatabase({ kind: 'postgres', url: 'postgres://someone:s3cret-pw@127.0.0.1:1/nowhere' }, { connectTimeoutMs: 1000, pingTimeoutMs: 500 }),
      (error: unknown) => {
        assert.ok(isPortcullisError(error) && error.code === 'storage.unavailable');
        assert.doesNotMatch(`${error.message} ${error.detail ?? ''}`, /s3cret-pw|someone/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 3000);
  });

  it('times out a ping to a server that accepts connections but never answers', async () => {
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    try {
      await assert.rejects(
        openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test` }, { connectTimeoutMs: 500, pingTimeoutMs: 300 }),
        isCode('storage.unavailable'),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
    assert.ok(Date.now() - started < 3000);
  });
});
