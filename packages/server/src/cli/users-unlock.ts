import { parseArgs } from 'node:util';
import { PortcullisError } from 'portcullis/errors';
import { loadConfig } from '../config/load-config.js';
import { clearLockout } from '../db/lockouts-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { normaliseEmail } from '../db/users-repository.js';
import type { CliIo } from './cli-io.js';
import { checkEmail } from './new-user-input.js';
import { openConfiguredDatabase } from './users-create.js';

/**
 * `users unlock`: the administrator's way out of a login lockout (A2), for an owner who cannot
 * wait for it to expire and cannot reset the password. It clears the failure count too. The
 * lockout is keyed by email whether or not an account has it, so this says nothing about whether
 * the email is registered.
 */
export async function usersUnlock(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...args], options: { email: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new PortcullisError('cli.usage', { detail: 'users unlock takes no positional arguments' });
  const email = checkEmail(values.email);
  const config = loadConfig(io.env);
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    await clearLockout(database.db, normaliseEmail(email));
    io.stdout.write(`cleared the login lockout of <${normaliseEmail(email)}>\n`);
  } finally {
    await database.close();
  }
}
