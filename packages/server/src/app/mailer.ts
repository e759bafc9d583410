import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Outgoing mail (password reset links) behind one small interface, so a deployment plugs in its
 * provider. The default writes each message as a JSON file into a development outbox directory,
 * where a developer (or a test) reads it; nothing leaves the machine. Messages are never logged:
 * they carry single-use secrets.
 */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/**
 * A mailer that writes `<time>-<uuid>.json` files into `directory` (created with mode 0700).
 *
 * @example
 * const mailer = outboxMailer(join(config.dataDir, 'outbox'));
 */
export function outboxMailer(directory: string): Mailer {
  return {
    async send(mail) {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      const name = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}.json`;
      writeFileSync(join(directory, name), JSON.stringify({ ...mail, sentAt: new Date().toISOString() }) + '\n', { mode: 0o600, flag: 'wx' });
    },
  };
}

/** Reads every message in an outbox directory, oldest first (for tests and local development). */
export function readOutbox(directory: string): (OutgoingMail & { sentAt: string })[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')) as OutgoingMail & { sentAt: string });
}
