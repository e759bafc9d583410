import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STRONG = {
  JWT_SECRET: randomBytes(32).toString('base64url'),
  APP_SECRET: randomBytes(32).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};

describe('loadConfig (A10)', () => {
  it('development defaults: loopback, SQLite under DATA_DIR, HTTPS not required, generated secrets', () => {
    const config = loadConfig({ DATA_DIR: join(dir, 'dev') });
    assert.equal(config.env, 'development');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.deepEqual(config.database, { kind: 'sqlite', file: join(dir, 'dev', 'portcullis.sqlite') });
    assert.equal(config.requireHttps, false);
    assert.ok(config.secrets.jwtSecret.length >= 43);
    assert.equal(loadConfig({ DATA_DIR: join(dir, 'dev') }).secrets.jwtSecret, config.secrets.jwtSecret, 'kept across starts');
  });

  it('requires HTTPS by default when bound beyond loopback, and in production', () => {
    assert.equal(loadConfig({ DATA_DIR: join(dir, 'dev'), HOST: '0.0.0.0' }).requireHttps, true);
    assert.equal(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG }).requireHttps, true);
  });

  it('production with strong secrets starts, and turning HTTPS off there is a warning', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, REQUIRE_HTTPS: 'false', ...STRONG });
    assert.equal(config.requireHttps, false);
    assert.ok(config.warnings.some((w) => w.includes('REQUIRE_HTTPS')));
  });

  for (const name of ['JWT_SECRET', 'APP_SECRET', 'ENCRYPTION_KEY'] as const) {
    it(`production refuses a missing, short or placeholder ${name}, naming it`, () => {
      const without = { ...STRONG } as Record<string, string>;
      delete without[name];
      assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...without }), { code: 'config.invalid', message: new RegExp(`${name} is missing`) });
      const short = name === 'ENCRYPTION_KEY' ? randomBytes(16).toString('base64') : 'tooShort123';
      assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG, [name]: short }), { message: new RegExp(`${name} is too short`) });
      if (name !== 'ENCRYPTION_KEY') {
        assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG, [name]: 'your-secret-key-goes-here-please-0123456789' }), {
          message: new RegExp(`${name} is a default or placeholder`),
        });
      }
    });
  }

  it('development accepts a weak secret with a warning that says production will refuse it', () => {
    const config = loadConfig({ DATA_DIR: join(dir, 'dev'), JWT_SECRET: 'changeme' });
    assert.ok(config.warnings.some((w) => /JWT_SECRET .*refused in production/.test(w)));
    assert.ok(!config.warnings.join(' ').includes('changeme'));
  });

  it('production refuses default database and Redis passwords', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG, DATABASE_URL: 'postgres://postgres:postgres@db:5432/app' }), {
      message: /DATABASE_URL uses a default password/,
    });
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG, REDIS_URL: 'redis://:redis@cache:6379' }), {
      message: /REDIS_URL uses a default password/,
    });
  });

  it('OUTBOUND_ALLOW_ADDRESSES (V7): refused in production, single non-link-local addresses only elsewhere', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, ...STRONG, OUTBOUND_ALLOW_ADDRESSES: '127.0.0.1' }), {
      code: 'config.invalid',
      message: /OUTBOUND_ALLOW_ADDRESSES is for tests only and is refused in production/,
    });
    const test = { NODE_ENV: 'test', DATA_DIR: join(dir, 'dev') };
    for (const entry of ['10.0.0.0/8', '127.0.0.1/31', '0.0.0.0/0', '::/0', 'fd00::/64', '::1/127', '127.0.0.1/', '127.0.0.1/032']) {
      assert.throws(() => loadConfig({ ...test, OUTBOUND_ALLOW_ADDRESSES: entry }), { code: 'config.invalid', message: /OUTBOUND_ALLOW_ADDRESSES: .*single/ }, entry);
    }
    for (const entry of ['169.254.169.254', '169.254.0.1/32', 'fe80::1', 'febf::1/128', '::ffff:169.254.169.254', '127.0.0.1, 169.254.169.254']) {
      assert.throws(() => loadConfig({ ...test, OUTBOUND_ALLOW_ADDRESSES: entry }), { code: 'config.invalid', message: /link-local/ }, entry);
    }
    for (const entry of ['127.0.0.1', '127.0.0.1/32', '::1', '::1/128', '10.1.2.3,::1']) {
      const config = loadConfig({ ...test, OUTBOUND_ALLOW_ADDRESSES: entry });
      assert.equal(config.webhooks.allowAddresses.length, entry.split(',').length, entry);
      assert.ok(config.warnings.some((warning) => warning.includes('OUTBOUND_ALLOW_ADDRESSES is set')), entry);
    }
  });

  it('refuses malformed values, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT/],
      [{ PORT: '70000' }, /PORT/],
      [{ NODE_ENV: 'staging' }, /NODE_ENV/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
      [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
      [{ REQUIRE_HTTPS: 'maybe' }, /REQUIRE_HTTPS/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ TLS_CERT_FILE: '/x.pem' }, /TLS_CERT_FILE and TLS_KEY_FILE/],
      [{ BODY_LIMIT_BYTES: '0' }, /BODY_LIMIT_BYTES/],
      // Alert webhooks are signed: a URL without a secret, or with a short one, does not start.
      [{ ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook' }, /ALERT_WEBHOOK_SECRET is required/],
      [{ ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook', ALERT_WEBHOOK_SECRET: 'too-short' }, /ALERT_WEBHOOK_SECRET/],
    ];
    for (const [env, expected] of cases) {
      assert.throws(() => loadConfig({ DATA_DIR: join(dir, 'dev'), ...env }), { code: 'config.invalid', message: expected }, JSON.stringify(env));
    }
  });

  it('keeps the alert webhook secret beside its URL', () => {
    const secret = 'an-alert-webhook-secret-of-enough-length';
    const config = loadConfig({ DATA_DIR: join(dir, 'dev'), ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook', ALERT_WEBHOOK_SECRET: secret });
    assert.deepEqual(config.audit.alerts.webhook, { url: 'https://alerts.example.com/hook', secret });
    assert.equal(loadConfig({ DATA_DIR: join(dir, 'dev') }).audit.alerts.webhook, undefined);
  });

  it('an unusable DATA_DIR in development is a coded error naming it, not a raw filesystem error', () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, 'x');
    assert.throws(() => loadConfig({ DATA_DIR: join(blocker, 'data') }), { code: 'config.invalid', message: /DATA_DIR .* cannot hold/ });
  });

  it('parses lists and database URLs', () => {
    const config = loadConfig({
      DATA_DIR: join(dir, 'dev'),
      CORS_ORIGINS: ' https://a.example , https://b.example ',
      TRUSTED_PROXIES: '10.0.0.0/8,loopback',
      DATABASE_URL: 'postgres://app:pw@db.internal:5432/app',
    });
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.deepEqual(config.trustedProxies, ['10.0.0.0/8', 'loopback']);
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://app:pw@db.internal:5432/app' });
  });
});
