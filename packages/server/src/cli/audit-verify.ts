import { parseArgs } from 'node:util';
import { deriveAuditChainKey, verifyAuditChain, type AuditChainHead, type AuditChainVerdict } from 'portcullis/audit';
import { PortcullisError } from 'portcullis/errors';
import { loadConfig } from '../config/load-config.js';
import { readAuditHead, readAuditRecords, readRowsBeyondHead } from '../db/audit-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import type { CliIo } from './cli-io.js';
import { openConfiguredDatabase } from './users-create.js';

/**
 * `audit verify` (E3): walks the audit trail in sequence order, recomputing each row's MAC under
 * the key derived from APP_SECRET, and reports the first row that was modified, deleted,
 * reordered or inserted (exit 1, naming its sequence number and what is wrong), or that the trail
 * is intact. It reads only; run it against a live server's database at any time: it verifies the
 * rows up to the head it read first, so rows the server appends meanwhile are not mistaken for
 * inserted ones. Rows cut off the end together with a rewound head cannot be told from the
 * database alone: `--expect-head <seq>:<mac>` (an `audit.checkpoint` log line, or an earlier
 * verify's head) anchors it from outside.
 */
export async function auditVerify(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, 'expect-head': { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new PortcullisError('cli.usage', { detail: 'audit verify takes no positional arguments' });
  const anchor = values['expect-head'] === undefined ? undefined : parseExpectedHead(values['expect-head']);
  const config = loadConfig(io.env);
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    const head = await readAuditHead(database.db);
    if (head === undefined) {
      if (values.json === true) io.stdout.write(`${JSON.stringify({ ok: false, rows: 0, seq: 0, problem: 'missing', detail: 'the chain head row is missing' })}\n`);
      throw new PortcullisError('audit.chain_broken', { detail: 'audit trail broken: the chain head row is missing' });
    }
    let verdict: AuditChainVerdict = await verifyAuditChain(deriveAuditChainKey(config.secrets.appSecret), readAuditRecords(database.db, 1000, head.seq), head, anchor === undefined ? {} : { anchor });
    if (verdict.ok) {
      const later = await readRowsBeyondHead(database.db);
      const laterSeq = later.head?.seq ?? 0;
      if (later.maxSeq > laterSeq) {
        verdict = { ok: false, rows: verdict.rows, seq: laterSeq + 1, problem: 'inserted', detail: `row ${laterSeq + 1} is beyond the chain head (${laterSeq}): a row was added outside the trail writer` };
      }
    }
    if (values.json === true) io.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (!verdict.ok) {
      throw new PortcullisError('audit.chain_broken', { detail: `audit trail broken at row ${verdict.seq} (${verdict.problem}): ${verdict.detail}` });
    }
    if (values.json !== true) io.stdout.write(`audit trail intact: ${verdict.rows} rows, chain head at row ${verdict.head.seq}\n`);
  } finally {
    await database.close();
  }
}

/** `<seq>:<mac>`: a positive sequence number and a 64-hex-digit MAC. */
function parseExpectedHead(text: string): AuditChainHead {
  const match = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text);
  if (match === null) throw new PortcullisError('cli.usage', { detail: '--expect-head takes <seq>:<mac> (the seq and mac of an audit.checkpoint log line)' });
  return { seq: Number(match[1]), mac: match[2] as string };
}
