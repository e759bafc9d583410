import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { readAuditHead } from '../../db/audit-repository.js';
import type { Database } from '../../db/schema.js';

/**
 * E3: the chain head lives in the same database as the rows, so whoever can write the database
 * can delete the last rows and rewind the head, and `audit verify` alone cannot tell. Every
 * AUDIT_CHECKPOINT_MS this logs the head as `audit.checkpoint` { seq, mac }: a log line goes to
 * the log pipeline, out of the database's reach, and `audit verify --expect-head <seq>:<mac>`
 * checks the trail still reaches it. Only when the head moved, so an idle server logs nothing.
 * The MAC is not a secret (it is stored beside every row); the key never leaves the server.
 */
export function startAuditCheckpoints(app: FastifyInstance, db: Kysely<Database>, intervalMs: number): { stop(): void } {
  let lastSeq = -1;
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const head = await readAuditHead(db);
      if (head === undefined || head.seq === lastSeq || head.seq === 0) return;
      lastSeq = head.seq;
      void app.securityEvent('audit.checkpoint', { seq: head.seq, mac: head.mac });
    } catch (error) {
      void app.securityEvent('audit.write_failed', { stage: 'checkpoint' }, {}, { error });
    } finally {
      running = false;
    }
  };
  // Unreferenced: a checkpoint is never a reason to keep a stopping process alive.
  const timer = setInterval(() => void tick(), intervalMs).unref();
  return { stop: () => clearInterval(timer) };
}
