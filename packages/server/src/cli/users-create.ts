import { parseArgs } from 'node:util';
import { hashPassword } from 'portcullis/auth';
import { isPortcullisError, PortcullisError } from 'portcullis/errors';
import { loadConfig } from '../config/load-config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { createUser, normaliseEmail } from '../db/users-repository.js';
import { checkEmail, checkPassword, checkRole } from './new-user-input.js';
import { readNewPassword } from './read-password.js';
import type { CliIo } from './cli-io.js';

/**
 * `users create`: bootstraps an account (typically the first admin) straight into the server's
 * database. Arguments are checked before stdin is read, so a typo fails at once instead of after
 * the password has been typed; the database is migrated first so this works on a fresh install.
 */

/** Which PostgreSQL server, for the operator, without the credentials the URL may carry. */
function describePostgres(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** Opens the configured database, naming the PostgreSQL server (never its credentials) on failure. */
export async function openConfiguredDatabase(config: ReturnType<typeof loadConfig>) {
  return openDatabase(config.database).catch((error: unknown) => {
    throw isPortcullisError(error) && error.detail !== undefined && config.database.kind === 'postgres'
      ? new PortcullisError(error.code, { detail: `${error.detail} [${describePostgres(config.database.url)}]`, cause: error.cause })
      : error;
  });
}

/**
 * Runs `users create` with the arguments after the command words; resolves once the user exists.
 * Throws `cli.usage` for bad arguments or input, other coded errors for operational failures.
 */
export async function usersCreate(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      // Declared only to refuse it with a reason; an unknown-option error would not say why.
      password: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.password !== undefined) {
    throw new PortcullisError('cli.usage', {
      detail: '--password is not accepted: arguments are visible in shell history and process lists; pipe the password on stdin',
    });
  }
  if (positionals.length > 0) throw new PortcullisError('cli.usage', { detail: 'users create takes no positional arguments' });
  const email = checkEmail(values.email);
  const role = checkRole(values.role);
  const password = checkPassword(await readNewPassword(io.stdin, io.stderr));

  const config = loadConfig(io.env);
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    const id = await createUser(database.db, { email, passwordHash: await hashPassword(password, config.auth.passwordPepper === undefined ? {} : { pepper: config.auth.passwordPepper }), role });
    io.stdout.write(`created user ${id} <${normaliseEmail(email)}> role=${role}\n`);
  } finally {
    await database.close();
  }
}
