import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from 'portcullis/auth';
import { runCli as runCliProcess, type CliRun } from '../test-support/cli-process.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { openDatabase } from '../db/open-database.js';
import { findUserByEmail, type User } from '../db/users-repository.js';
import { loadLockout, saveLockout } from '../db/lockouts-repository.js';
import { migrateToLatest } from '../db/migrate.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const STACK_LINE = /^\s+at .+/m;

/** Runs the CLI as its own process, the way `npm run cli` does, with `stdin` piped in. */
/** `env` overrides the inherited environment; an `undefined` value removes the variable. */
function runCli(args: readonly string[], options: { stdin?: string | Buffer; env: Record<string, string | undefined> }): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
  // Inherited from an outer `npm test`, these would make the CLI change directory.
  delete env.npm_lifecycle_event;
  delete env.INIT_CWD;
  for (const [name, value] of Object.entries(options.env)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return runCliProcess(args, env, 30_000, options.stdin ?? '');
}

function assertRefused(run: CliRun, expectedCode: number, message: RegExp, secret?: string): void {
  assert.equal(run.code, expectedCode, `exit ${run.code}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^error: /);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, STACK_LINE);
  assert.ok(run.stderr.split('\n').filter(Boolean).length <= 2, run.stderr);
  if (secret !== undefined) assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret));
}

describeEachDatabase('cli users create', (t) => {
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
    env = { DATABASE_URL: t.databaseUrl, DATA_DIR: dataDir };
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  async function readUser(email: string): Promise<User | undefined> {
    const app = await openDatabase(t.target);
    try {
      return await findUserByEmail(app.db, email);
    } finally {
      await app.close();
    }
  }

  it('creates a user whose stored argon2id hash verifies the piped password', async () => {
    const password = 'Tr0ub4dor & 3 horses';
    const run = await runCli(['users', 'create', '--email', ' Root.Admin@Example.com ', '--role', 'admin'], {
      stdin: `${password}\nthis second line is ignored\n`,
      env,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^created user ${UUID} <root\\.admin@example\\.com> role=admin\\n$`));
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password));

    const user = await readUser('root.admin@example.com');
    assert.ok(user);
    assert.equal(run.stdout.split(' ')[2], user.id);
    assert.equal(user.role, 'admin');
    assert.equal(user.status, 'active');
    assert.match(user.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(user.passwordHash, password), true);
    assert.equal(await verifyPassword(user.passwordHash, `${password}\nthis second line is ignored`), false);
  });

  it('applies PASSWORD_PEPPER, so the created user can sign in on a server with that pepper', async () => {
    const password = 'pepper-aware admin password';
    const pepper = 'a-pepper-of-at-least-sixteen-bytes';
    const run = await runCli(['users', 'create', '--email', 'peppered@example.com', '--role', 'admin'], { stdin: `${password}\n`, env: { ...env, PASSWORD_PEPPER: pepper } });
    assert.equal(run.code, 0, run.stderr);
    const user = await readUser('peppered@example.com');
    assert.ok(user);
    assert.equal(await verifyPassword(user.passwordHash, password, { pepper }), true);
    assert.equal(await verifyPassword(user.passwordHash, password), false);
  });

  it('users unlock clears the login lockout of an email, registered or not', async () => {
    const app = await openDatabase(t.target);
    try {
      await migrateToLatest(app.db);
      await saveLockout(app.db, 'locked@example.com', { failures: 9, lockedUntil: Date.now() + 600_000, lastFailureAt: Date.now() });
    } finally {
      await app.close();
    }
    const run = await runCli(['users', 'unlock', '--email', ' Locked@Example.com '], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'cleared the login lockout of <locked@example.com>\n');
    const after = await openDatabase(t.target);
    try {
      assert.equal(await loadLockout(after.db, 'locked@example.com'), undefined);
    } finally {
      await after.close();
    }
    const bad = await runCli(['users', 'unlock'], { env });
    assert.equal(bad.code, 2);
  });

  it('keeps spaces that are part of the password and strips only the line ending', async () => {
    const password = '  spaced out password  ';
    const run = await runCli(['users', 'create', '--email', 'spaces@example.com', '--role', 'user'], { stdin: `${password}\r\n`, env });
    assert.equal(run.code, 0, run.stderr);
    const user = await readUser('spaces@example.com');
    assert.ok(user);
    assert.equal(await verifyPassword(user.passwordHash, password), true);
    assert.equal(await verifyPassword(user.passwordHash, password.trim()), false);
  });

  it('accepts a final line with no newline', async () => {
    const run = await runCli(['users', 'create', '--email', 'nonewline@example.com', '--role', 'moderator'], { stdin: 'no newline at the end', env });
    assert.equal(run.code, 0, run.stderr);
    const user = await readUser('nonewline@example.com');
    assert.ok(user && (await verifyPassword(user.passwordHash, 'no newline at the end')));
  });

  it('refuses a duplicate email with exit 1 and one line', async () => {
    const password = 'another valid password';
    const run = await runCli(['users', 'create', '--email', 'ROOT.ADMIN@example.com', '--role', 'user'], { stdin: `${password}\n`, env });
    assertRefused(run, 1, /already exists/, password);
    assert.equal((await readUser('root.admin@example.com'))?.role, 'admin');
  });
});

describe('cli refusals', () => {
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
    env = { DATABASE_URL: `sqlite:${join(dataDir, 'refusals.sqlite')}`, DATA_DIR: dataDir };
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  const valid = ['users', 'create', '--email', 'ok@example.com', '--role', 'user'];
  const cases: readonly { name: string; args: readonly string[]; stdin: string | Buffer; message: RegExp; secret?: string }[] = [
    { name: 'a short password', args: valid, stdin: 'elevenchars\n', message: /12 to 128 characters/, secret: 'elevenchars' },
    { name: 'a 129-character password', args: valid, stdin: `${'p'.repeat(129)}\n`, message: /12 to 128 characters/, secret: 'p'.repeat(129) },
    { name: 'an empty first line', args: valid, stdin: '\nlong enough second line\n', message: /12 to 128/, secret: 'long enough second line' },
    { name: 'no stdin at all', args: valid, stdin: '', message: /no password on stdin/ },
    {
      name: 'invalid UTF-8',
      args: valid,
      stdin: Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' long enough garbage\n')]),
      message: /not valid UTF-8/,
    },
    {
      name: 'a bad role',
      args: ['users', 'create', '--email', 'ok@example.com', '--role', 'root'],
      stdin: 'a perfectly fine password\n',
      message: /--role must be one of: user, moderator, admin/,
      secret: 'a perfectly fine password',
    },
    {
      name: 'a bad email',
      args: ['users', 'create', '--email', 'not-an-email', '--role', 'user'],
      stdin: 'a perfectly fine password\n',
      message: /--email is not a valid email address/,
      secret: 'a perfectly fine password',
    },
    {
      name: 'an injection-shaped email',
      args: ['users', 'create', '--email', "x' OR 1=1 --@example.com", '--role', 'user'],
      stdin: 'a perfectly fine password\n',
      message: /--email is not a valid email address/,
    },
    { name: 'a missing email', args: ['users', 'create', '--role', 'user'], stdin: 'a perfectly fine password\n', message: /--email is required/ },
    { name: 'a missing role', args: ['users', 'create', '--email', 'ok@example.com'], stdin: 'a perfectly fine password\n', message: /--role is required/ },
    {
      name: 'a password given as an argument, without echoing it',
      args: [...valid, '--password', 'argv-password-123'],
      stdin: '',
      message: /--password is not accepted/,
      secret: 'argv-password-123',
    },
    {
      name: 'a stray positional argument, without echoing it',
      args: [...valid, 'positional-secret-123'],
      stdin: 'a perfectly fine password\n',
      message: /no positional arguments/,
      secret: 'positional-secret-123',
    },
    { name: 'an unknown option', args: [...valid, '--admin'], stdin: '', message: /Unknown option '--admin'/ },
    { name: 'an unknown command', args: ['users', 'delete'], stdin: '', message: /unknown command "users delete"/ },
    { name: 'a secret typed as a command, without echoing it', args: ['Hunter2-Secret!'], stdin: '', message: /unknown command$/m, secret: 'Hunter2-Secret!' },
  ];

  describe('invalid usage or input', { concurrency: 4 }, () => {
    for (const refusal of cases) {
      it(`refuses ${refusal.name} with exit 2, one line and no stack`, async () => {
        const run = await runCli(refusal.args, { stdin: refusal.stdin, env });
        assertRefused(run, 2, refusal.message, refusal.secret);
      });
    }
  });

  it('created nobody while refusing', async () => {
    const app = await openDatabase({ kind: 'sqlite', file: join(dataDir, 'refusals.sqlite') });
    try {
      const tables = await app.db.introspection.getTables();
      if (tables.some((table) => table.name === 'users')) {
        assert.equal(await findUserByEmail(app.db, 'ok@example.com'), undefined);
      }
    } finally {
      await app.close();
    }
  });

  it('reports an unreachable database in one line with exit 1, naming the host but not the password', async () => {
    const run = await runCli(valid, {
      stdin: 'a perfectly fine password\n',
      env: { ...env, DATABASE_URL: 'postgres://admin:db-secret-pw@127.0.0.1:1/app' },
    });
    assertRefused(run, 1, /database is unreachable.*PostgreSQL 127\.0\.0\.1:1\/app/, 'db-secret-pw');
  });

  it('resolves a relative DATA_DIR from the directory npm was run in, as `npm run cli` does', async () => {
    const invokedFrom = await mkdtemp(join(tmpdir(), 'portcullis-cli-cwd-'));
    try {
      const run = await runCli(['users', 'create', '--email', 'cwd@example.com', '--role', 'user'], {
        stdin: 'a perfectly fine password\n',
        env: { DATA_DIR: './relative-data', DATABASE_URL: undefined, npm_lifecycle_event: 'cli', INIT_CWD: invokedFrom },
      });
      assert.equal(run.code, 0, run.stderr);
      const app = await openDatabase({ kind: 'sqlite', file: join(invokedFrom, 'relative-data', 'portcullis.sqlite') });
      try {
        assert.equal((await findUserByEmail(app.db, 'cwd@example.com'))?.role, 'user');
      } finally {
        await app.close();
      }
    } finally {
      await rm(invokedFrom, { recursive: true, force: true });
    }
  });

  it('reports an invalid configuration in one line with exit 1', async () => {
    const run = await runCli(valid, { stdin: 'a perfectly fine password\n', env: { ...env, DATABASE_URL: 'mysql://somewhere/db' } });
    assertRefused(run, 1, /DATABASE_URL must start with/);
  });

  describe('help', { concurrency: 4 }, () => {
    for (const args of [[], ['help'], ['--help'], ['users', 'create', '--help']]) {
      it(`prints usage for ${JSON.stringify(args)} with exit 0`, async () => {
        const run = await runCli(args, { env });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /users create --email <email> --role <user\|moderator\|admin>/);
        assert.equal(run.stderr, '');
      });
    }
  });
});

describe('routes', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'portcullis-cli-routes-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('lists every route with its policy and schemas, flags no gap, and passes --strict', async () => {
    const run = await runCli(['routes', '--json', '--strict'], { env: { DATA_DIR: dataDir, DATABASE_URL: undefined } });
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as { routes: { method: string; path: string; policy: string; gaps: string[] }[]; gaps: number };
    assert.equal(listed.gaps, 0);
    assert.ok(listed.routes.length >= 30);
    const login = listed.routes.find((route) => route.method === 'POST' && route.path === '/v1/auth/login');
    assert.equal(login?.policy, 'public');
    assert.ok(listed.routes.every((route) => route.policy !== 'none'));
  });

  it('prints a table by default and refuses a stray argument', async () => {
    const table = await runCli(['routes'], { env: { DATA_DIR: dataDir, DATABASE_URL: undefined } });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^METHOD\s+PATH\s+POLICY/m);
    assert.match(table.stdout, /\n\d+ routes, 0 with a gap\n$/);
    assertRefused(await runCli(['routes', 'extra'], { env: { DATA_DIR: dataDir, DATABASE_URL: undefined } }), 2, /no positional/);
  });
});
