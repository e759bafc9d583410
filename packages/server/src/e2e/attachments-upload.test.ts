import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { ROOMY_LIMITS } from './identity.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';
import { insertTestPost, startPostsWorld, type PostsWorld } from './posts.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';
import {
  filesUnder,
  GENERATED_NAME,
  gif,
  jpeg,
  multipart,
  NOT_ACCEPTED,
  oneFile,
  pdf,
  png,
  pngText,
  ROOMY_UPLOAD_LIMITS,
  sendBytes,
  webp,
  type BytesResponse,
  type MultipartBody,
} from './attachments.test-helpers.js';

// V5 over real HTTP on SQLite and PostgreSQL: what an upload may be (type by content against the
// allowlist, polyglots refused, size bounded by UPLOAD_MAX_BYTES at its 5 MiB default, never
// empty, exactly one file in the field "file"), how it is stored (generated names in UPLOAD_DIR
// only, whatever the client calls it) and how it comes back (byte for byte, as an attachment,
// nosniff, sandboxed). Every refusal leaves no file and no row behind.

const MAX_BYTES = 5 * 1024 * 1024;
const ATTACHMENT_FIELDS = ['createdAt', 'fileName', 'id', 'mediaType', 'postId', 'sha256', 'size', 'uploaderId'];

describeEachDatabase('attachment uploads (V5)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let world: PostsWorld;
  let sandbox: string;
  let uploadDir: string;
  let postId: string;
  before(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'portcullis-uploads-e2e-'));
    uploadDir = join(sandbox, 'store', 'uploads');
    ({ server, database, world } = await startPostsWorld(target, { ...ROOMY_LIMITS, ...ROOMY_UPLOAD_LIMITS, UPLOAD_DIR: uploadDir }));
    postId = await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status: 'draft', visibility: 'private' });
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await rm(sandbox, { recursive: true, force: true });
  });

  const upload = (body: MultipartBody | { body: Buffer; contentType: string | undefined }, options: { contentLength?: boolean; post?: string } = {}) =>
    sendBytes(server.url, {
      method: 'POST',
      path: `/v1/posts/${options.post ?? postId}/attachments`,
      headers: { ...world.owner.headers, ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }) },
      body: body.body,
      ...(options.contentLength === undefined ? {} : { contentLength: options.contentLength }),
    });
  const rows = async () => (await database.db.selectFrom('attachments').select('stored_name').execute()).map((row) => row.stored_name).sort();
  const assertRefused = (res: BytesResponse, status: number, code: string, label: string) => {
    assert.equal(res.status, status, `${label}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
    assert.equal(res.json()['code'], code, label);
  };
  /** Runs `work` and checks it stored nothing: no new file anywhere in the sandbox, no new row. */
  const leavesNothing = async (work: () => Promise<void>) => {
    const filesBefore = await filesUnder(sandbox);
    const rowsBefore = await rows();
    await work();
    assert.deepEqual(await filesUnder(sandbox), filesBefore, 'no file was written');
    assert.deepEqual(await rows(), rowsBefore, 'no row was written');
  };

  it('accepts each allowed type by its content, whatever name and Content-Type come with it, and serves it back byte for byte', async () => {
    const cases = [
      [png(), 'image/png', 'png', 'photo.png', 'image/png'],
      [png(), 'image/png', 'png', 'evil.html', 'text/html'],
      [jpeg(3000), 'image/jpeg', 'jpg', 'picture.gif', 'image/gif'],
      [gif(), 'image/gif', 'gif', 'anim.gif', 'application/x-msdownload'],
      [webp(), 'image/webp', 'webp', 'noext', 'image/svg+xml'],
      [pdf(9000), 'application/pdf', 'pdf', 'doc.exe', 'text/javascript'],
    ] as const;
    for (const [content, mediaType, extension, filename, claimed] of cases) {
      const label = `${mediaType} sent as ${filename} (${claimed})`;
      const res = await upload(oneFile(content, filename, claimed));
      assert.equal(res.status, 201, `${label}: ${res.body.toString('utf8')}`);
      const created = res.json();
      assert.deepEqual(Object.keys(created).sort(), ATTACHMENT_FIELDS, label);
      assert.equal(created['mediaType'], mediaType, label);
      assert.equal(created['size'], content.length, label);
      assert.equal(created['sha256'], createHash('sha256').update(content).digest('hex'), label);
      assert.equal(created['postId'], postId, label);
      assert.equal(created['uploaderId'], world.owner.userId, label);
      const fileName = created['fileName'] as string;
      assert.match(fileName, GENERATED_NAME, label);
      assert.ok(fileName.endsWith(`.${extension}`), label);
      assert.equal(fileName, `${String(created['id'])}.${extension}`, label);
      assert.equal(res.headers['location'], `/v1/posts/${postId}/attachments/${String(created['id'])}`, label);
      assert.deepEqual(await readFile(join(uploadDir, fileName)), content, `${label}: stored byte for byte`);

      const download = await sendBytes(server.url, { method: 'GET', path: res.headers['location'] as string, headers: world.owner.headers });
      assert.equal(download.status, 200, label);
      assert.deepEqual(download.body, content, `${label}: downloaded byte for byte`);
      assert.equal(download.headers['content-type'], mediaType, label);
      assert.equal(download.headers['content-length'], String(content.length), label);
      assert.equal(download.headers['content-disposition'], `attachment; filename="${fileName}"`, label);
      assert.equal(download.headers['x-content-type-options'], 'nosniff', label);
      assert.equal(download.headers['content-security-policy'], "default-src 'none'; sandbox; frame-ancestors 'none'", label);
      assert.match(String(download.headers['cache-control']), /no-store/, label);
    }
    const listing = await sendBytes(server.url, { method: 'GET', path: `/v1/posts/${postId}/attachments`, headers: world.owner.headers });
    assert.equal(listing.status, 200);
    const listed = listing.json()['attachments'] as Record<string, unknown>[];
    assert.equal(listed.length, cases.length);
    for (const entry of listed) assert.deepEqual(Object.keys(entry).sort(), ATTACHMENT_FIELDS);
    for (const name of ['photo.png', 'evil.html', 'picture.gif', 'doc.exe', 'text/html']) assert.ok(!listing.body.toString('utf8').includes(name), `the listing never echoes ${name}`);
  });

  it('the upload and the listing match the success bodies /openapi.json documents for them (L1, V6)', async () => {
    const check = successBodyChecker(await sendBytes(server.url, { method: 'GET', path: '/openapi.json', headers: {} }));
    const documentedPost = await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status: 'draft', visibility: 'private' });
    const listPath = `/v1/posts/${documentedPost}/attachments`;
    check('get', '/v1/posts/{id}/attachments', await sendBytes(server.url, { method: 'GET', path: listPath, headers: world.owner.headers }), 200);
    const uploaded = await upload(oneFile(pdf(2000), 'documented.pdf', 'application/pdf'), { post: documentedPost });
    check('post', '/v1/posts/{id}/attachments', uploaded, 201);
    const listing = await sendBytes(server.url, { method: 'GET', path: listPath, headers: world.owner.headers });
    check('get', '/v1/posts/{id}/attachments', listing, 200);
    assert.equal((listing.json()['attachments'] as unknown[]).length, 1);
  });

  it('refuses what is not an accepted type (415), named and labelled as an image or not, and logs it', async () => {
    await leavesNothing(async () => {
      for (const [name, content] of Object.entries(NOT_ACCEPTED)) {
        for (const [filename, claimed] of [['photo.png', 'image/png'], ['scan.jpg', 'image/jpeg'], [`${name}.bin`, 'application/octet-stream']] as const) {
          assertRefused(await upload(oneFile(content, filename, claimed)), 415, 'upload.type_refused', `${name} as ${filename} (${claimed})`);
        }
      }
    });
    assert.ok(server.logLines().some((line) => line['event'] === 'upload.refused' && line['postId'] === postId), 'the refusal is a security event');
  });

  it('refuses polyglots: valid magic bytes whose first bytes also read as HTML or script (415)', async () => {
    const polyglots = {
      'GIF with a script after its signature (GIFAR style)': gif('<script>alert(document.domain)</script>'),
      'GIF whose header is also JavaScript with a javascript: URL': gif('=1;location="javascript:alert(1)";'),
      'PNG with an HTML text chunk': png(0, [pngText('Comment', '<html><body onload=alert(1)>')]),
      'PNG with an SVG text chunk': png(0, [pngText('Comment', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')]),
      'JPEG with an HTML comment segment': jpeg(0, '<iframe src="https://evil.example/">'),
      'PDF with a script in its header comment': pdf(0, '<script>alert(1)</script>'),
      'PDF opening an HTML comment': pdf(0, '<!--'),
    };
    await leavesNothing(async () => {
      for (const [name, content] of Object.entries(polyglots)) assertRefused(await upload(oneFile(content, 'x.png', 'image/png')), 415, 'upload.type_refused', name);
    });
  });

  it('refuses an empty file (400)', async () => {
    await leavesNothing(async () => {
      assertRefused(await upload(oneFile(Buffer.alloc(0), 'empty.png', 'image/png')), 400, 'upload.empty', 'empty');
    });
  });

  it(`accepts a file of exactly UPLOAD_MAX_BYTES (default ${MAX_BYTES}) and refuses one byte more with 413, streamed or declared`, async () => {
    const pad = MAX_BYTES - png().length - 12;
    const exact = png(pad);
    assert.equal(exact.length, MAX_BYTES);
    const accepted = await upload(oneFile(exact, 'big.png', 'image/png'));
    assert.equal(accepted.status, 201, accepted.body.toString('utf8'));
    assert.equal(accepted.json()['size'], MAX_BYTES);
    await leavesNothing(async () => {
      const over = oneFile(png(pad + 1), 'big.png', 'image/png');
      assertRefused(await upload(over), 413, 'upload.too_large', 'one byte over, chunked');
      assertRefused(await upload(over, { contentLength: true }), 413, 'upload.too_large', 'one byte over, with Content-Length');
      assertRefused(await upload(oneFile(png(pad + 200_000), 'big.png', 'image/png'), { contentLength: true }), 413, 'upload.too_large', 'declared far over the limit');
    });
  });

  it('closes the connection of a refused oversize upload instead of reading the rest of its body', async () => {
    /**
     * Over a raw socket: headers, then body bytes as fast as the server takes them, for up to 4 s.
     * Answers what the server said and whether (and how soon after answering) it closed.
     */
    const endlessUpload = (chunked: boolean) =>
      new Promise<{ head: string; closedAfterMs: number | undefined }>((resolve, reject) => {
        const url = new URL(server.url);
        const boundary = '----pcEndless';
        const headers = [
          `POST /v1/posts/${postId}/attachments HTTP/1.1`,
          `Host: ${url.host}`,
          `Authorization: ${String(world.owner.headers['authorization'])}`,
          `Content-Type: multipart/form-data; boundary=${boundary}`,
          chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${1024 * 1024 * 1024}`,
        ];
        const socket = connect(Number(url.port), url.hostname);
        let received = '';
        let answeredAt: number | undefined;
        const started = Date.now();
        const frame = (data: Buffer) => (chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data);
        const filler = Buffer.alloc(64 * 1024, 0x41);
        const pump = () => {
          while (!socket.destroyed && Date.now() - started < 4_000) {
            if (!socket.write(frame(filler))) return void socket.once('drain', pump);
          }
          if (!socket.destroyed) socket.destroy();
        };
        socket.on('connect', () => {
          socket.write(`${headers.join('\r\n')}\r\n\r\n`);
          socket.write(frame(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`, 'latin1')));
          socket.write(frame(png(0)));
          pump();
        });
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
          if (answeredAt === undefined && received.includes('\r\n\r\n')) answeredAt = Date.now();
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (received === '') reject(new Error('no answer at all'));
          else resolve({ head: received.split('\r\n\r\n')[0] ?? '', closedAfterMs: Date.now() - started < 4_000 && answeredAt !== undefined ? Date.now() - answeredAt : undefined });
        });
      });
    for (const chunked of [false, true]) {
      const label = chunked ? 'streamed past the limit' : 'declared 1 GiB';
      const { head, closedAfterMs } = await endlessUpload(chunked);
      assert.match(head, /^HTTP\/1\.1 413 /, `${label}: ${head}`);
      assert.match(head, /\r\nconnection: close\r\n/i, `${label}: the answer announces the close`);
      assert.ok(closedAfterMs !== undefined && closedAfterMs < 2_000, `${label}: the server kept reading the refused body (closed after ${String(closedAfterMs)} ms)`);
    }
  });

  it('refuses anything but exactly one file in the field "file" (400), keeping nothing of it', async () => {
    const file = { kind: 'file', content: png(), filename: 'a.png', contentType: 'image/png' } as const;
    const bodies: Record<string, MultipartBody> = {
      'a second file': multipart([file, { ...file, content: gif() }]),
      'the file under another field name': multipart([{ ...file, field: 'upload' }]),
      'a text field before the file': multipart([{ kind: 'field', name: 'title', value: 'x' }, file]),
      'a text field after the file': multipart([file, { kind: 'field', name: 'title', value: 'x' }]),
      'a field named __proto__': multipart([{ kind: 'field', name: '__proto__', value: 'x' }]),
      'no part at all': multipart([]),
      'the file as a plain field (no filename)': multipart([{ kind: 'field', name: 'file', value: 'not a file' }]),
    };
    const truncated = oneFile(png());
    bodies['a body cut before its closing boundary'] = { body: truncated.body.subarray(0, truncated.body.length - 30), contentType: truncated.contentType };
    bodies['no boundary parameter'] = { body: truncated.body, contentType: 'multipart/form-data' };
    await leavesNothing(async () => {
      for (const [name, body] of Object.entries(bodies)) assertRefused(await upload(body), 400, 'upload.malformed', name);
    });
  });

  it('takes multipart only (415 for JSON or no body), and no other route takes multipart', async () => {
    await leavesNothing(async () => {
      assertRefused(await upload({ body: Buffer.from('{"file":"x"}'), contentType: 'application/json' }), 415, 'request.unsupported_media_type', 'JSON');
      assertRefused(await upload({ body: Buffer.from(''), contentType: undefined }), 415, 'request.unsupported_media_type', 'no body');
      const form = oneFile(png(), 'a.png', 'image/png');
      for (const [method, path] of [['POST', '/v1/posts'], ['PATCH', `/v1/posts/${postId}`], ['POST', `/v1/posts/${postId}/comments`]] as const) {
        const res = await sendBytes(server.url, { method, path, headers: { ...world.owner.headers, 'content-type': form.contentType }, body: form.body });
        assertRefused(res, 415, 'request.unsupported_media_type', `${method} ${path}`);
      }
    });
  });

  it('hostile file names never reach the file system: the stored name is always generated', async () => {
    const names: Record<string, Buffer> = {
      'path traversal': Buffer.from('../../etc/passwd'),
      'deep traversal to /tmp': Buffer.from('../../../../../../tmp/portcullis-evil-upload.png'),
      'absolute path': Buffer.from('/etc/passwd'),
      'Windows absolute path': Buffer.from('C:\\Windows\\System32\\evil.png'),
      backslashes: Buffer.from('..\\..\\..\\evil.png'),
      'embedded NUL': Buffer.from('evil.png\u0000.html', 'latin1'),
      'very long': Buffer.from(`${'a'.repeat(4096)}.png`),
      'RTL override (gnp.exe read backwards)': Buffer.from('invoice\u202Egnp.exe'),
      'quote breaking the header': Buffer.from('evil".png; filename=x.exe'),
      'dot files': Buffer.from('.htaccess'),
      'device name': Buffer.from('CON.png'),
    };
    const dispositions: Record<string, Buffer> = Object.fromEntries(
      Object.entries(names).map(([label, name]) => [label, Buffer.concat([Buffer.from('Content-Disposition: form-data; name="file"; filename="'), name, Buffer.from('"')])]),
    );
    dispositions['RFC 5987 encoded traversal'] = Buffer.from("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''..%2F..%2F..%2Ftmp%2Fportcullis-evil-upload.png");
    const outsideBefore = (await filesUnder(sandbox)).filter((path) => !path.startsWith(join('store', 'uploads')));
    for (const [label, rawDisposition] of Object.entries(dispositions)) {
      const res = await upload(multipart([{ kind: 'file', content: png(), rawDisposition, contentType: 'image/png' }]));
      assert.equal(res.status, 201, `${label}: ${res.body.toString('utf8')}`);
      const fileName = res.json()['fileName'] as string;
      assert.match(fileName, GENERATED_NAME, label);
      assert.ok(existsSync(join(uploadDir, fileName)), label);
    }
    assert.deepEqual((await filesUnder(sandbox)).filter((path) => !path.startsWith(join('store', 'uploads'))), outsideBefore, 'nothing was written outside UPLOAD_DIR');
    assert.ok((await filesUnder(uploadDir)).every((name) => GENERATED_NAME.test(name)), 'UPLOAD_DIR holds generated names only');
    assert.ok(!existsSync(join(tmpdir(), 'portcullis-evil-upload.png')) && !existsSync('/tmp/portcullis-evil-upload.png'));
    assert.deepEqual((await filesUnder(uploadDir)).sort(), await rows(), 'every file has its row and every row its file');
  });

  it('a starting server sweeps old orphans and temporary files from UPLOAD_DIR, and nothing else', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const kept = await filesUnder(uploadDir);
    assert.ok(kept.length > 0);
    for (const name of kept) await utimes(join(uploadDir, name), twoHoursAgo, twoHoursAgo);
    const oldOrphan = `${randomUUID()}.png`;
    const youngOrphan = `${randomUUID()}.gif`;
    const oldTemporary = `.upload-${randomUUID()}`;
    const foreign = 'README.txt';
    for (const name of [oldOrphan, youngOrphan, oldTemporary, foreign]) await writeFile(join(uploadDir, name), png());
    for (const name of [oldOrphan, oldTemporary, foreign]) await utimes(join(uploadDir, name), twoHoursAgo, twoHoursAgo);
    const second = await startTestServer({ ...ROOMY_LIMITS, DATABASE_URL: target.databaseUrl, UPLOAD_DIR: uploadDir });
    try {
      const want = [...kept, youngOrphan, foreign].sort();
      for (let attempt = 0; attempt < 50 && (await filesUnder(uploadDir)).length !== want.length; attempt++) await setTimeout(20);
      assert.deepEqual(await filesUnder(uploadDir), want);
    } finally {
      await second.close();
    }
  });
});
