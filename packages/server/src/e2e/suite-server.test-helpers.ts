import { openDatabase, type AppDatabase } from '../db/open-database.js';
import { databaseTargets, type DatabaseTestTarget } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { AuthClient } from './identity.test-helpers.js';

/**
 * Shared by the end-to-end suites that run the real server on one database target: the server,
 * the suite's own connection to the same database (to arrange state and read what the server
 * wrote) and a client, started together and closed together; and a lone SQLite target for suites
 * that need no second dialect.
 */

export interface SuiteServer {
  readonly server: TestServer;
  readonly database: AppDatabase;
  readonly client: AuthClient;
}

/**
 * Starts the server on `target` with `env` (DATABASE_URL is added here), then opens the suite's
 * connection. If opening fails the server is closed again, so a failed `before` leaves nothing
 * running that `after` could not reach.
 *
 *   before(async () => ({ server, database, client } = await startSuiteServer(target, ROOMY_LIMITS)));
 *   after(() => stopSuiteServer(server, database));
 */
export async function startSuiteServer(
  target: DatabaseTestTarget,
  env: Readonly<Record<string, string>>,
  options: Parameters<typeof startTestServer>[1] = {},
): Promise<SuiteServer> {
  const server = await startTestServer({ ...env, DATABASE_URL: target.databaseUrl }, options);
  try {
    const database = await openDatabase(target.target);
    return { server, database, client: new AuthClient(server.url) };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Closes what `startSuiteServer` opened; either is undefined when `before` failed before it was set. */
export async function stopSuiteServer(server: TestServer | undefined, database: AppDatabase | undefined): Promise<void> {
  await server?.close();
  await database?.close();
}

/** One fresh SQLite target; the PostgreSQL one, when made, is dropped at once. The caller cleans it up. */
export async function sqliteTarget(): Promise<DatabaseTestTarget> {
  const [target, ...others] = await databaseTargets();
  await Promise.all(others.map((other) => other.cleanup()));
  return target!;
}
