import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSecret } from 'portcullis/config';
import { PortcullisError } from 'portcullis/errors';
import type { ServerSecrets } from './server-config.js';

const SECRETS_FILE = 'secrets.json';

/**
 * Development convenience: strong secrets generated on first run and kept in DATA_DIR, so
 * `npm start` works on a fresh clone and tokens survive restarts. Production never calls this.
 */
export function loadOrCreateDevSecrets(dataDir: string): ServerSecrets {
  const file = join(dataDir, SECRETS_FILE);
  if (existsSync(file)) {
    let parsed: Partial<ServerSecrets>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerSecrets>;
    } catch (cause) {
      throw new PortcullisError('config.invalid', { detail: `${file} is not valid JSON; delete it to regenerate`, cause });
    }
    if (typeof parsed.jwtSecret === 'string' && typeof parsed.appSecret === 'string' && typeof parsed.encryptionKey === 'string') {
      return { jwtSecret: parsed.jwtSecret, appSecret: parsed.appSecret, encryptionKey: parsed.encryptionKey };
    }
    throw new PortcullisError('config.invalid', { detail: `${file} is incomplete; delete it to regenerate` });
  }
  const secrets: ServerSecrets = {
    jwtSecret: generateSecret(48),
    appSecret: generateSecret(48),
    encryptionKey: randomBytes(32).toString('base64'),
  };
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'write failed';
    throw new PortcullisError('config.invalid', { detail: `DATA_DIR ${dataDir} cannot hold the development secrets (${reason})`, cause });
  }
  return secrets;
}
