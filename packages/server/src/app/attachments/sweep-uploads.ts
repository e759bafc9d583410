import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { storedUploadPath, UPLOAD_TEMP_PREFIX } from 'portcullis/input';
import { knownStoredNames } from '../../db/attachments-repository.js';
import type { Database } from '../../db/schema.js';

/**
 * Start-up housekeeping of the upload directory (V5): removes temporary files a crash left behind
 * and stored files whose row is gone (a post or user deleted by cascade, a crash between the
 * rename and the insert). Only files older than `graceMs` are touched, so another instance's
 * upload in flight is never taken. Anything that is neither ours nor a temporary file is left alone.
 */

const BATCH = 500;

export async function sweepUploads(db: Kysely<Database>, directory: string, graceMs: number): Promise<{ readonly removed: number }> {
  const cutoff = Date.now() - graceMs;
  const oldEnough = async (name: string): Promise<boolean> => {
    try {
      return (await stat(join(directory, name))).mtimeMs < cutoff;
    } catch {
      return false;
    }
  };
  const names = await readdir(directory);
  const stale: string[] = [];
  const stored: string[] = [];
  for (const name of names) {
    if (name.startsWith(UPLOAD_TEMP_PREFIX)) {
      if (await oldEnough(name)) stale.push(name);
      continue;
    }
    try {
      storedUploadPath(directory, name);
    } catch {
      continue;
    }
    stored.push(name);
  }
  for (let at = 0; at < stored.length; at += BATCH) {
    const batch = stored.slice(at, at + BATCH);
    const known = await knownStoredNames(db, batch);
    for (const name of batch) if (!known.has(name) && (await oldEnough(name))) stale.push(name);
  }
  let removed = 0;
  for (const name of stale) {
    await unlink(join(directory, name)).then(
      () => (removed += 1),
      () => undefined,
    );
  }
  return { removed };
}
