import { scrubText } from 'portcullis/audit';
import { isPortcullisError } from 'portcullis/errors';
import { enterInvocationDirectory } from './config/invocation-directory.js';
import { loadConfig } from './config/load-config.js';
import { startServer, stopServer } from './app/start-server.js';

/**
 * Entry point: `npm start`. Configuration problems end the process with one line naming the
 * variable, never a stack trace.
 */
async function main(): Promise<void> {
  enterInvocationDirectory(process.env, 'start');
  const config = loadConfig(process.env);
  const app = await startServer(config);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    stopServer(app, config.shutdownTimeoutMs).then(
      (outcome) => {
        app.log.info({ outcome }, 'shutdown complete');
        process.exit(outcome === 'drained' ? 0 : 1);
      },
      (error: unknown) => {
        // Closing failed (e.g. audit events that could not be written: already logged with their
        // count as audit.write_failed); the database and Redis were still closed.
        app.log.error({ err: error, outcome: 'failed' }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (isPortcullisError(error)) {
    process.stderr.write(`portcullis: cannot start: ${error.detail ?? error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(`portcullis: cannot start: ${scrubText(error instanceof Error ? error.message : String(error))}\n`);
  }
  process.exit(1);
});
