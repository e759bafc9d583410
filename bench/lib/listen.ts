/**
 * Start-up and shutdown shared by every server script, so the variants differ only in their stack.
 */
import type { Server } from 'node:net';
import { READY_MARKER, SECRET_BYTES, SECRET_ENV } from './fixture.ts';

export const LISTEN_HOST = '127.0.0.1';

/** Reads the per-run secret the orchestrator generated; a server without it must not start. */
export function readSecret(): Buffer {
  const secret = Buffer.from(process.env[SECRET_ENV] ?? '', 'hex');
  if (secret.length !== SECRET_BYTES) {
    process.stderr.write(`${SECRET_ENV} must hold ${SECRET_BYTES} bytes as hex\n`);
    process.exit(2);
  }
  return secret;
}

/**
 * Tells the orchestrator which free port the OS gave us, and exits cleanly on SIGTERM so that
 * `--cpu-prof` gets the chance to write its profile.
 */
export function announceReady(server: Server): void {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    process.stderr.write('server is not listening on a TCP port\n');
    process.exit(2);
  }
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`${READY_MARKER} ${address.port}\n`);
}
