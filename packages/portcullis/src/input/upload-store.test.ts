import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortcullisError, type ErrorCode } from '../errors/index.js';
import { removeStoredUpload, storedUploadPath, storeUpload } from './upload-store.js';
import { gif, jpeg, NOT_ACCEPTED, pdf, png } from './upload-fixtures.test-helpers.js';

// V5 on disk: generated names only, byte-identical content, and nothing left behind by a refusal.

const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.(png|jpg|gif|webp|pdf)$/;

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const refusedWith = (code: ErrorCode) => (error: unknown) => isPortcullisError(error) && error.code === code;

describe('storeUpload (V5)', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'portcullis-upload-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  const emptyAfter = async (work: () => Promise<unknown>, code: ErrorCode) => {
    const before = await readdir(directory);
    await assert.rejects(work(), refusedWith(code));
    assert.deepEqual(await readdir(directory), before, 'a refused upload leaves nothing behind');
  };

  it('stores under a generated name, byte for byte, with size and SHA-256, in one chunk or many', async () => {
    for (const [bytes, chunkSize] of [[png(), 1 << 16], [png(9000), 7], [jpeg(6000), 1], [pdf(20_000), 1000], [gif(), 3]] as const) {
      const stored = await storeUpload(chunks(bytes, chunkSize), { directory, maxBytes: 1 << 20 });
      assert.match(stored.storedName, UUID_NAME);
      assert.equal(stored.storedName, `${stored.id}.${stored.type.extension}`);
      assert.equal(stored.size, bytes.length);
      assert.equal(stored.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.deepEqual(await readFile(join(directory, stored.storedName)), bytes);
    }
    assert.ok((await readdir(directory)).every((name) => UUID_NAME.test(name)), 'no temporary file is left');
  });

  it('refuses a file over the limit (413), and one exactly at it is accepted', async () => {
    const bytes = png(3000);
    await emptyAfter(() => storeUpload(chunks(bytes, 512), { directory, maxBytes: bytes.length - 1 }), 'upload.too_large');
    assert.equal((await storeUpload(chunks(bytes, 512), { directory, maxBytes: bytes.length })).size, bytes.length);
  });

  it('refuses an empty file (400)', async () => {
    await emptyAfter(() => storeUpload(chunks(Buffer.alloc(0), 1), { directory, maxBytes: 100 }), 'upload.empty');
  });

  it('refuses a file that is not an accepted type (415), without reading it to the end', async () => {
    for (const bytes of Object.values(NOT_ACCEPTED)) await emptyAfter(() => storeUpload(chunks(bytes, 5), { directory, maxBytes: 1 << 20 }), 'upload.type_refused');
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(1024, 0x41);
      }
    }
    await emptyAfter(() => storeUpload(endless(), { directory, maxBytes: 1 << 30 }), 'upload.type_refused');
    assert.ok(pulled <= 5, `stopped after ${pulled} chunks`);
  });

  it('removes the temporary file when the source fails mid-way, and rethrows its error', async () => {
    const boom = new Error('connection reset');
    async function* failing(): AsyncGenerator<Buffer> {
      yield png(8000).subarray(0, 6000);
      throw boom;
    }
    const before = await readdir(directory);
    await assert.rejects(storeUpload(failing(), { directory, maxBytes: 1 << 20 }), (error: unknown) => error === boom);
    assert.deepEqual(await readdir(directory), before);
  });

  it('resolves only names it could have generated', () => {
    const good = '0f8fad5b-d9cb-469f-a165-70867728950e.png';
    assert.equal(storedUploadPath(directory, good), join(directory, good));
    for (const bad of ['../etc/passwd', '/etc/passwd', `../${good}`, `${good}/..`, '0f8fad5b-d9cb-469f-a165-70867728950e.exe', '0f8fad5b-d9cb-469f-a165-70867728950e.png\u0000.txt', 'x.png', '..\\x.png', '']) {
      assert.throws(() => storedUploadPath(directory, bad), refusedWith('route.not_found'), JSON.stringify(bad));
    }
  });

  it('removes a stored file; one already gone is not an error', async () => {
    const stored = await storeUpload(chunks(gif(), 10), { directory, maxBytes: 1000 });
    await removeStoredUpload(directory, stored.storedName);
    assert.ok(!(await readdir(directory)).includes(stored.storedName));
    await removeStoredUpload(directory, stored.storedName);
  });
});
