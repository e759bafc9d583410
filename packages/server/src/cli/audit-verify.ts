import { parseArgs } from 'node:util';
import { deriveAuditChainKey, verifyAuditChain } from 'portcullis/audit';
import { PortcullisError } from 'portcullis/errors';
import { loadConfig } from '../config/load-config.js';
import { readAuditHead, readAuditRecords } from '../db/audit-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import type { CliIo } from './cli-io.js';
import { openConfiguredDatabase } from './users-create.js';

/**
 * `audit verify` (E3): walks the audit trail in sequence order, recomputing each row's MAC under
 * the key derived from APP_SECRET, and reports the first row that was modified, deleted,
 * reordered or inserted (exit 1, naming its sequence number and what is wrong), or that the trail
 * is intact. It reads only; run it against a live server's database at any time.
 */
export async function auditVerify(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new PortcullisError('cli.usage', { detail: 'audit verify takes no positional arguments' });
  const config = loadConfig(io.env);
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    const head = await readAuditHead(database.db);
    const verdict = await verifyAuditChain(deriveAuditChainKey(config.secrets.appSecret), readAuditRecords(database.db), head);
    if (values.json === true) io.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (head === undefined) throw new PortcullisError('audit.chain_broken', { detail: 'audit trail broken: the chain head row is missing' });
    if (!verdict.ok) {
      throw new PortcullisError('audit.chain_broken', { detail: `audit trail broken at row ${verdict.seq} (${verdict.problem}): ${verdict.detail}` });
    }
    if (values.json !== true) io.stdout.write(`audit trail intact: ${verdict.rows} rows, chain head at row ${verdict.head.seq}\n`);
  } finally {
    await database.close();
  }
}
