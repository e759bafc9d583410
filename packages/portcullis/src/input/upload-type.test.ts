import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPortcullisError } from '../errors/index.js';
import { carriesMarkup } from './upload-markup.js';
import { decideUploadType } from './upload-type.js';
import { gif, jpeg, NOT_ACCEPTED, pdf, png, pngText, webp } from './upload-fixtures.test-helpers.js';

// V5: the type comes from the bytes alone, against the allowlist; markup in the sniffed window is refused.

const refusedAsType = (error: unknown) => isPortcullisError(error) && error.code === 'upload.type_refused' && error.status === 415;

describe('decideUploadType (V5)', () => {
  it('recognises each accepted type by its content', async () => {
    const cases = [
      [png(), 'png', 'image/png', 'png'],
      [png(6000), 'png', 'image/png', 'png'],
      [jpeg(), 'jpeg', 'image/jpeg', 'jpg'],
      [gif(), 'gif', 'image/gif', 'gif'],
      [webp(), 'webp', 'image/webp', 'webp'],
      [pdf(), 'pdf', 'application/pdf', 'pdf'],
    ] as const;
    for (const [bytes, kind, mediaType, extension] of cases) {
      assert.deepEqual({ ...(await decideUploadType(bytes)) }, { kind, mediaType, extension });
    }
  });

  for (const [name, bytes] of Object.entries(NOT_ACCEPTED)) {
    it(`refuses ${name} with 415`, async () => {
      await assert.rejects(decideUploadType(bytes), refusedAsType);
    });
  }

  it('refuses an accepted type that is not on a narrower allowlist', async () => {
    await assert.rejects(decideUploadType(gif(), ['png', 'jpeg']), (error: unknown) => refusedAsType(error) && /Accepted: PNG, JPEG/.test(String((error as Error).message)));
    assert.equal((await decideUploadType(png(), ['png'])).kind, 'png');
  });

  it('refuses polyglots: valid magic with markup in the sniffed bytes', async () => {
    for (const [name, bytes] of [
      ['GIF with script after the signature', gif('<script>alert(1)</script>')],
      ['GIF with a javascript: URL', gif('=1;location="javascript:alert(1)"')],
      ['PNG with an HTML text chunk', png(0, [pngText('Comment', '<html><body onload=alert(1)>')])],
      ['PNG with an SVG text chunk', png(0, [pngText('Comment', '<svg onload=alert(1)>')])],
      ['JPEG with an HTML comment segment', jpeg(0, '<iframe src=//x.example>')],
      ['PDF with a script header comment', pdf(0, '<script>alert(1)</script>')],
      ['PDF with an HTML comment marker', pdf(0, '<!-- hi -->')],
    ] as const) {
      await assert.rejects(decideUploadType(bytes), refusedAsType, name);
    }
  });

  it('accepts markup past the sniffed window (left to nosniff and attachment)', async () => {
    const late = png(2000, [pngText('Comment', '.'.repeat(1500))]);
    const withMarkupLate = Buffer.concat([late.subarray(0, late.length - 12), pngText('Comment', '<html>'), late.subarray(late.length - 12)]);
    assert.equal((await decideUploadType(withMarkupLate)).kind, 'png');
  });
});

describe('carriesMarkup (V5)', () => {
  it('finds markers in any case', () => {
    for (const marker of ['<script>', '<SCRIPT src=x>', '<Html>', '<!DOCTYPE HTML>', '<a href=x>', '<svg/onload=x>', '<?xml ', '<!--', 'JavaScript:', '<b>', '<p>', '<iframe ']) {
      assert.equal(carriesMarkup(Buffer.from(`\u0000\u0001${marker}`, 'latin1')), true, marker);
    }
  });

  it('finds server-side template openings and XML stylesheets', () => {
    for (const marker of ['<?php echo 1; ?>', '<?PHP\nsystem($x);', '<?= $x ?>', '<% Response.Write(1) %>', '<%@ page import="x" %>', '<%=x%>', '<?xml-stylesheet href="x.xsl"?>']) {
      assert.equal(carriesMarkup(Buffer.from(`\u0000\u0001${marker}`, 'latin1')), true, marker);
    }
    // `<%` needs its closing `%>` in the window: two bytes alone occur in binary by chance.
    for (const text of ['<%', '100<%', '%><%']) assert.equal(carriesMarkup(Buffer.from(text, 'latin1')), false, text);
  });

  it('finds markers encoded as UTF-16, little- or big-endian, at either byte alignment', () => {
    for (const marker of ['<html>', '<script>', '<svg onload=x>', '<!--', 'javascript:', '<?php ']) {
      const le = Buffer.from(marker, 'utf16le');
      const be = Buffer.from(le).swap16();
      for (const [name, encoded] of [['LE', le], ['BE', be]] as const) {
        for (const prefix of [Buffer.from([0xff, 0xfe]), Buffer.from([0x00, 0x01, 0x02])]) {
          assert.equal(carriesMarkup(Buffer.concat([prefix, encoded])), true, `${marker} ${name} after ${prefix.length} bytes`);
        }
      }
    }
  });

  it('refuses a PNG whose text chunk carries UTF-16 HTML or PHP', async () => {
    for (const [name, text] of [
      ['UTF-16LE html', Buffer.from('<html><body>', 'utf16le').toString('latin1')],
      ['UTF-16BE script', Buffer.from('<script>', 'utf16le').swap16().toString('latin1')],
      ['PHP', '<?php system($_GET[1]); ?>'],
    ] as const) {
      await assert.rejects(decideUploadType(png(0, [pngText('Comment', text)])), refusedAsType, name);
    }
  });

  it('ignores lookalikes that are not tags', () => {
    for (const text of ['<<', 'a < b', '<abc>', '<pre>', '<br0', '<<binary>>', 'script', '</']) assert.equal(carriesMarkup(Buffer.from(text, 'latin1')), false, text);
  });

  it('property: bytes without "<" or ":" never carry markup, and a <script> tag anywhere in the window always does', () => {
    const inert = fc.uint8Array({ maxLength: 3000 }).map((bytes) => bytes.map((byte) => (byte === 0x3c || byte === 0x3a ? 0x20 : byte)));
    fc.assert(fc.property(inert, (bytes) => !carriesMarkup(bytes)), { numRuns: 300 });
    fc.assert(
      fc.property(inert, fc.nat({ max: 1445 - 8 }), (bytes, at) => {
        const head = Buffer.alloc(Math.max(bytes.length, at + 8), 0x20);
        head.set(bytes);
        head.write('<script>', at, 'latin1');
        return carriesMarkup(head);
      }),
      { numRuns: 300 },
    );
  });
});
